"""Serving a local stand-in: a small Werkzeug WSGI app on 127.0.0.1, in a thread, quietly.

The stand-ins (the sinks, the trigger router, the provider fakes of the tests)
are WSGI apps; this runs one on Werkzeug's threaded server. Each request's
headers are also kept as they came, names in the case the sender wrote them
(``raw_headers``), for checks on exactly what a client sent.
"""

from __future__ import annotations

import ssl
import threading
from types import TracebackType
from typing import Any
from wsgiref.types import WSGIApplication, WSGIEnvironment

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_RAW_HEADERS = "herald.raw_headers"


def raw_headers(environ: WSGIEnvironment) -> list[tuple[str, str]]:
    """The request's headers as sent: names in their own case, in their order."""
    headers: list[tuple[str, str]] = environ[_RAW_HEADERS]
    return headers


def raw_path(environ: WSGIEnvironment) -> str:
    """The request's target as sent: its path undecoded, with its query."""
    path: str = environ["RAW_URI"]
    return path


class _Handler(WSGIRequestHandler):
    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        environ[_RAW_HEADERS] = list(self.headers.items())
        return environ

    def log_request(self, *args: Any) -> None:
        pass  # one line per request is noise; errors are still logged


class Served:
    """``app`` answering at ``url`` from ``start()`` to ``stop()`` (or as a context)."""

    def __init__(
        self, app: WSGIApplication, port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        try:
            self._server: BaseWSGIServer = make_server(
                "127.0.0.1",
                port,
                app,
                threaded=True,
                request_handler=_Handler,
                ssl_context=ssl_context,
            )
        except SystemExit as exc:  # Werkzeug exits when it cannot listen; a stand-in raises
            raise OSError(f"cannot listen on 127.0.0.1:{port}") from exc
        self.port = self._server.port
        self._serving = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self._serving = True

    def stop(self) -> None:
        if self._serving:  # shutdown() of a server that never served waits forever
            self._server.shutdown()
            self._serving = False
        self._server.server_close()

    def __enter__(self) -> Served:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
