"""api: the public HTTPS endpoint (POST /send, GET /messages/...)."""

import json

import flask
import functions_framework

from herald.api.http import HttpRequest
from herald.entrypoints import serving
from herald.entrypoints.http import serve

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed


@functions_framework.http
def handle(request: flask.Request) -> flask.Response:
    response = serve(
        HttpRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            body=request.get_data(),
            query=request.args.to_dict(),
            query_lists=request.args.to_dict(flat=False),
        )
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
