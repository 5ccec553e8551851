"""The api function as a WSGI application: Herald answers each request from the environ.

functions-framework serves a function through a Flask app: a request context,
its wrappers and an after-request read of the whole body for every request.
Herald's api routes, parses and answers by itself, so none of that is needed,
and on ``POST /send`` it was about a tenth of the api's CPU (profiled). The
function's module puts this application in place of the Flask app's
``wsgi_app``: functions-framework, gunicorn and Cloud Run's contract are
unchanged, and the Flask handler is left only as a way in to the same code.

Its first step is the quota: a request over its workspace's quota is refused
from the environ's method, path, key and declared length, before the request's
headers or query are read, before its span and before its body is read. A
flooding workspace's refusals take CPU from the instance that serves every
other workspace too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from werkzeug.wrappers import Request

from herald.api.http import Api, HttpRequest, HttpResponse, error_body
from herald.entrypoints.http import serve
from herald.observability import logs
from herald.redaction import error_text

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

_JSON = "application/json"
# What Flask gave a body with no content type of its own (HTML pages).
_DEFAULT_RAW_TYPE = "text/html; charset=utf-8"


class ApiApplication:
    def __init__(self, api: Api) -> None:
        self.api = api

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.respond(environ)
        except Exception as exc:  # what escapes the api's own error mapping: a 500, logged
            logs.error("unhandled API error", error=error_text(exc))
            response = HttpResponse(500, error_body("api_error", "internal error; it was logged"))
        return _write(environ, response, start_response)

    def respond(self, environ: Environ) -> HttpResponse:
        method = environ.get("REQUEST_METHOD", "GET")
        declared_length = _declared_length(environ)
        admitted = self.api.admit(
            HttpRequest(
                method, _path(environ), {"authorization": environ.get("HTTP_AUTHORIZATION", "")}
            ),
            declared_length,
        )
        if isinstance(admitted, HttpResponse):
            return admitted
        request = Request(environ)  # parsed lazily, as Flask's request is (its base class)
        args = request.args
        return serve(
            self.api,
            HttpRequest(
                method=method,
                path=request.path,
                headers=dict(request.headers),
                query=args.to_dict(),
                query_lists=args.to_dict(flat=False),
                quota=admitted.quota,
            ),
            # Read by the api only as far as the route's limit: a large body is refused unread.
            request.stream,
            request.content_length,
        )


def _write(
    environ: Environ, response: HttpResponse, start_response: StartResponse
) -> Iterable[bytes]:
    status = HTTPStatus(response.status)
    headers = list(response.headers.items())
    if response.status == 204:
        start_response(f"{status.value} {status.phrase}", headers)
        return []
    if response.raw is not None:
        body = response.raw
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", _DEFAULT_RAW_TYPE))
    else:
        body = json.dumps(response.body).encode()
        headers.append(("Content-Type", _JSON))
    if environ.get("REQUEST_METHOD") == "HEAD":
        body = b""
    if response.body_unread:
        # Streamed, without a length: the server does not read the refused body first.
        start_response(f"{status.value} {status.phrase}", headers)
        return iter([body])
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status.value} {status.phrase}", headers)
    return [body]


def _path(environ: Environ) -> str:
    # WSGI gives the path's bytes as latin-1; they are read as UTF-8, as Flask reads them.
    raw: str = environ.get("PATH_INFO", "/") or "/"
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def _declared_length(environ: Environ) -> int | None:
    given = environ.get("CONTENT_LENGTH")
    if not given or not given.isdigit() or len(given) > 18:
        return None
    return int(given)
