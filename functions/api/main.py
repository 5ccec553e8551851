"""api: the public HTTPS endpoint (POST /send, GET /messages/...)."""

import functools

import flask
import functions_framework
from werkzeug.wrappers import Response

from herald.bootstrap import FirestoreAdapters, build
from herald.entrypoints import serving
from herald.entrypoints.wsgi import ApiApplication

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed
services = build(FirestoreAdapters())  # each client made on first use, once per instance


@functools.cache
def application() -> ApiApplication:
    return ApiApplication(services.api)


if flask.has_app_context():
    # functions-framework imports this module inside its app's context: Herald answers
    # each request from the WSGI environ, without a Flask request (herald.entrypoints.wsgi).
    flask.current_app.wsgi_app = application()  # type: ignore[method-assign]


@functions_framework.http
def handle(request: flask.Request) -> Response:
    """The same application, for a host that calls the handler rather than the app."""
    return Response.from_app(application(), request.environ)
