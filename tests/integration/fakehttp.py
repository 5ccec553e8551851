"""A local fake HTTP API for the provider tests: it records each request and answers it.

Each fake is a small Werkzeug app (``herald_tools.local.serving``) that sees the request as
it was sent: its target unparsed, its headers' names in the sender's case.

A provider's fake subclasses ``FakeApi`` and keeps the provider-specific part in its test
module: ``refusal`` answers a request the real API would not take (wrong path, auth, body) the
way the real API documents, and ``respond`` gives the API's usual answer. A test scripts the
answer with ``reply``, or makes the fake take the request and never answer with ``hang``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from herald_tools.local.serving import Served, raw_headers, raw_path


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

    def __call__(self, environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        sent = raw_headers(environ)
        request = RecordedRequest(
            environ["REQUEST_METHOD"],
            raw_path(environ),
            {name.lower(): value for name, value in sent},
            Request(environ).get_data(),
            dict(sent),
        )
        self.requests.append(request)
        if self.hang:
            # The client gives up first: whatever comes after, it never reads.
            self.released.wait(10)
            return Response(status=204)(environ, start)
        reply = self.refusal(request) or self.reply or self.respond(request)
        return self._answer(reply)(environ, start)

    def _answer(self, reply: Reply) -> Response:
        response = Response(b"", reply.status)
        del response.headers["content-type"]  # only what the reply says
        if isinstance(reply.body, dict):
            response.set_data(json.dumps(reply.body).encode())
            response.headers["content-type"] = self.json_content_type
        elif isinstance(reply.body, str):
            response.set_data(reply.body.encode())
            response.headers["content-type"] = "text/html"
        for name, value in reply.headers.items():
            response.headers[name] = value
        return response


Fake = TypeVar("Fake", bound=FakeApi)


@contextmanager
def serve(fake: Fake) -> Iterator[Fake]:
    """``fake`` answering on 127.0.0.1 at a free port until the block ends."""
    served = Served(fake)
    fake.port = served.port
    served.start()
    try:
        yield fake
    finally:
        fake.released.set()  # a hanging request ends before the server stops
        served.stop()
