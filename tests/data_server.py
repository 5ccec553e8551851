"""A customer's JSON API on loopback, for fetch-data steps: each path answered as scripted,
each request recorded as it came."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class DataServer:
    """A customer's API on loopback: answers each path as scripted, records each request."""

    port: int = 0
    answers: dict[str, Answer] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # for /hang, /trickle
    trickled: int = 0  # bytes /trickle sent

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.contextmanager
def serving() -> Iterator[DataServer]:
    """A ``DataServer`` on a free port of 127.0.0.1, until the block ends."""
    state = DataServer()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.seen.append(Seen(self.command, self.path, headers, body))
            if self.path == "/hang":
                state.release.wait(5)
                return
            if self.path == "/trickle":  # a byte at a time, each well within a read's wait
                self.send_response(200)
                self.send_header("content-length", "1000")
                self.end_headers()
                while state.trickled < 1000 and not state.release.wait(0.02):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    state.trickled += 1
                return
            answer = state.answers.get(self.path, Answer(404, b'{"error": "no such path"}'))
            self.send_response(answer.status)
            self.send_header("content-type", answer.content_type)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
