"""A local fake HTTP API for the provider tests: it records each request and answers it.

A provider's fake subclasses ``FakeApi`` and keeps the provider-specific part in its test
module: ``refusal`` answers a request the real API would not take (wrong path, auth, body) the
way the real API documents, and ``respond`` gives the API's usual answer. A test scripts the
answer with ``reply``, or makes the fake take the request and never answer with ``hang``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, TypeVar


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    raw_headers: dict[str, str] = field(default_factory=dict)  # names as sent


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | str | None = None  # a JSON object, text sent as it is, or nothing
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeApi:
    # Content-type of a JSON reply; some APIs add a charset.
    json_content_type: ClassVar[str] = "application/json"

    port: int = 0
    reply: Reply | None = None  # None: the API's usual answer, ``respond(request)``
    hang: bool = False  # take the request, never answer
    requests: list[RecordedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def refusal(self, request: RecordedRequest) -> Reply | None:
        """The answer the real API gives to a request it does not take, else None."""
        return None

    def respond(self, request: RecordedRequest) -> Reply:
        """The API's usual answer to a request it takes, when no ``reply`` is scripted."""
        return Reply(200)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        request = RecordedRequest(
            handler.command,
            handler.path,
            {name.lower(): value for name, value in handler.headers.items()},
            handler.rfile.read(length),
            dict(handler.headers.items()),
        )
        self.requests.append(request)
        if self.hang:
            self.released.wait(10)
            return
        reply = self.refusal(request) or self.reply or self.respond(request)
        content_type: str | None = None
        if isinstance(reply.body, dict):
            payload, content_type = json.dumps(reply.body).encode(), self.json_content_type
        elif isinstance(reply.body, str):
            payload, content_type = reply.body.encode(), "text/html"
        else:
            payload = b""
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if content_type is not None:
            handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


Fake = TypeVar("Fake", bound=FakeApi)


@contextmanager
def serve(fake: Fake) -> Iterator[Fake]:
    """``fake`` answering on 127.0.0.1 at a free port until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            fake.handle(self)

        do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield fake
    finally:
        fake.released.set()
        server.shutdown()
        server.server_close()
