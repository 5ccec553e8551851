"""The api's first step: a request over its workspace's quota is refused before the web
framework does anything for it.

A flooding workspace's refusals take CPU from the instance that serves every other
workspace too. Refused here, from the WSGI environ's method, path, key and declared
length, a refusal costs no Flask request or response, no functions-framework wrapper,
no span and no read of its body. A request let through carries its decision on
(``QUOTA_KEY``), so it is counted once; one the gate cannot judge (no key, a route the
quota does not count) goes on unchanged, to be answered as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from herald.api.http import Api, HttpRequest, HttpResponse

# Where the environ carries a request's quota decision to the function's handler.
QUOTA_KEY = "herald.quota"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class QuotaGate:
    def __init__(self, app: WsgiApp, api: Api) -> None:
        self.app = app
        self.api = api

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = HttpRequest(
            environ.get("REQUEST_METHOD", "GET"),
            _path(environ),
            {"authorization": environ.get("HTTP_AUTHORIZATION", "")},
        )
        admitted = self.api.admit(request, _declared_length(environ))
        if isinstance(admitted, HttpResponse):
            body = json.dumps(admitted.body).encode()
            status = HTTPStatus(admitted.status)
            start_response(
                f"{status.value} {status.phrase}",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    *admitted.headers.items(),
                ],
            )
            return [body]
        if admitted.quota is not None:
            environ[QUOTA_KEY] = admitted.quota
        return self.app(environ, start_response)


def _path(environ: dict[str, Any]) -> str:
    # WSGI gives the path's bytes as latin-1; Flask reads them as UTF-8, as here.
    raw: str = environ.get("PATH_INFO", "/") or "/"
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def _declared_length(environ: dict[str, Any]) -> int | None:
    given = environ.get("CONTENT_LENGTH")
    if not given or not given.isdigit() or len(given) > 18:
        return None
    return int(given)
