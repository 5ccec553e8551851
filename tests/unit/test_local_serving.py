"""The local stand-ins as Werkzeug apps: what they see of a request, and what they answer."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
from werkzeug.wrappers import Response

from herald_tools.local.processes import free_port
from herald_tools.local.serving import Served, raw_headers, raw_path
from herald_tools.local.sinks import Fault, LocalSinks


def call(
    port: int, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, target, body, headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_an_app_sees_the_target_and_the_header_names_as_sent() -> None:
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def app(environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        seen.append((raw_path(environ), raw_headers(environ)))
        return Response(b"ok")(environ, start)

    with Served(app) as served:
        assert call(served.port, "POST", "/a%2Fb?x=1&y", b"{}", {"webhook-ID": "w1"})[0] == 200
    [(target, headers)] = seen
    assert target == "/a%2Fb?x=1&y"
    assert ("webhook-ID", "w1") in headers


def test_a_port_in_use_is_an_os_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="cannot listen"):
            Served(lambda environ, start: [], taken.getsockname()[1])


def test_a_served_app_that_never_started_stops_at_once() -> None:
    Served(lambda environ, start: []).stop()


@pytest.fixture
def sinks() -> Iterator[LocalSinks]:
    started = LocalSinks(free_port(), free_port())
    started.start()
    yield started
    started.stop()


def listed(sinks: LocalSinks, kind: str) -> Any:
    status, _, body = call(sinks.http_port, "GET", f"/{kind}")
    assert status == 200
    return json.loads(body)


def test_the_sinks_catch_each_provider_s_call_and_answer_as_it_does(sinks: LocalSinks) -> None:
    port = sinks.http_port
    status, _, body = call(port, "POST", "/webhooks/a?x=1", b'{"n":1}', {"X-Team": "a"})
    assert (status, json.loads(body)) == (200, {"received": True})
    [hook] = listed(sinks, "webhooks")
    assert (hook["path"], hook["body"], hook["headers"]["X-Team"]) == (
        "/webhooks/a?x=1",
        {"n": 1},
        "a",
    )
    twilio = "/twilio/2010-04-01/Accounts/AC1/Messages.json"
    status, _, body = call(port, "POST", twilio, b"To=%2B15005550006&Body=hi")
    assert status == 201 and json.loads(body)["account_sid"] == "AC1"
    assert listed(sinks, "sms")[0]["body"] == {"To": "+15005550006", "Body": "hi"}
    status, headers, body = call(port, "POST", "/sendgrid/v3/mail/send", b"{}")
    assert (status, headers["x-message-id"], body) == (202, "sg-00000001", b"")
    assert call(port, "POST", "/slack/x", b"{}")[2] == b"ok"
    assert call(port, "DELETE", "/webhooks")[0] == 200 and listed(sinks, "webhooks") == []
    assert call(port, "GET", "/nowhere")[0] == 404


def test_an_injected_fault_answers_its_status_and_retry_after(sinks: LocalSinks) -> None:
    sinks.inbox.faults["chat"].script.append(Fault(status=429, retry_after=7))
    status, headers, body = call(sinks.http_port, "POST", "/slack/x", b"{}")
    assert (status, headers["retry-after"]) == (429, "7")
    assert json.loads(body) == {"message": "injected fault"}
    assert listed(sinks, "chat") == []  # refused: not caught
    assert sinks.inbox.faults["chat"].injected == {"429": 1}
