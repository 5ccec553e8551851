"""api: the public HTTPS endpoint (POST /send, GET /messages/...)."""

import json

import flask
import functions_framework

from herald.api.http import HttpRequest
from herald.bootstrap import FirestoreAdapters, build
from herald.entrypoints import serving
from herald.entrypoints.http import serve
from herald.entrypoints.quota_gate import QUOTA_KEY, QuotaGate

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed
services = build(FirestoreAdapters())  # each client made on first use, once per instance
if flask.has_app_context():
    # functions-framework imports this module inside its app's context: requests over
    # their workspace's quota are refused before the app does any work for them.
    app = flask.current_app
    app.wsgi_app = QuotaGate(app.wsgi_app, services.api)  # type: ignore[method-assign]


@functions_framework.http
def handle(request: flask.Request) -> flask.Response:
    response = serve(
        services.api,
        HttpRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            query=request.args.to_dict(),
            query_lists=request.args.to_dict(flat=False),
            quota=request.environ.get(QUOTA_KEY),
        ),
        # Read by the api only as far as the route's limit: a large body is refused unread.
        request.stream,
        request.content_length,
    )
    if response.body_unread:
        # functions-framework reads the whole request after a handler returns, unless the
        # answer is streamed: a refused body stays unread (the connection is then closed).
        return flask.Response(
            iter([json.dumps(response.body).encode()]),
            status=response.status,
            headers=response.headers,
            mimetype="application/json",
        )
    if response.status == 204:
        return flask.Response(status=204, headers=response.headers)
    if response.raw is not None:
        return flask.Response(response.raw, status=response.status, headers=response.headers)
    return flask.Response(
        json.dumps(response.body),
        status=response.status,
        headers=response.headers,
        mimetype="application/json",
    )
