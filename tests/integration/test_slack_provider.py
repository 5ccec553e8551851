"""The Slack provider against a local fake of an incoming webhook."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from herald.domain.message import ChannelOutcome
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch
from herald.providers.slack import SlackProvider
from herald_tools.local.processes import free_port
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration

SECRET = "T00000000/B00000000/XXXXsecretXXXXXXXXXXXX"
WEBHOOK_PATH = f"/services/{SECRET}"

# Each documented answer: status, extra headers, plain-text body.
ANSWERS: dict[str, tuple[int, dict[str, str], str]] = {
    "success": (200, {}, "ok"),
    "invalid_payload": (400, {}, "invalid_payload"),
    "no_text": (400, {}, "no_text"),
    "action_prohibited": (403, {}, "action_prohibited"),
    "invalid_token": (403, {}, "invalid_token"),
    "channel_not_found": (404, {}, "channel_not_found"),
    "no_service": (404, {}, "no_service"),
    "channel_is_archived": (410, {}, "channel_is_archived"),
    "rate_limited": (429, {"Retry-After": "15"}, "rate_limited"),
    "rollup_error": (500, {}, "rollup_error"),
    "unavailable": (503, {"Retry-After": "4"}, "service_unavailable"),
}


def check(request: RecordedRequest) -> list[str]:
    """Every way the request differs from what incoming webhooks document."""
    problems: list[str] = []
    if request.method != "POST":
        problems.append(f"method {request.method}")
    if request.path != WEBHOOK_PATH:
        problems.append(f"path {request.path}")
    if request.headers.get("content-type") != "application/json":
        problems.append(f"content-type {request.headers.get('content-type')}")
    try:
        body = json.loads(request.body)
    except ValueError:
        problems.append("body is not JSON")
        return problems
    if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
        problems.append(f"body {body!r} is not {{'text': str}}")
    return problems


def documented(answer: str) -> Reply:
    """The documented answer named ``answer``."""
    status, headers, text = ANSWERS[answer]
    return Reply(status, text, headers)


@dataclass
class FakeSlack(FakeApi):
    answer: str = "success"
    problems: list[str] = field(default_factory=list)

    def refusal(self, request: RecordedRequest) -> Reply | None:
        problems = check(request)
        self.problems.extend(problems)
        return documented("invalid_payload") if problems else None

    def respond(self, request: RecordedRequest) -> Reply:
        return documented(self.answer)


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, int]]:
    with serve(FakeSlack()) as fake:
        yield fake, fake.port


def dispatch(url: str) -> Dispatch:
    return Dispatch(
        message_id="m1",
        attempt_key="m1-chat-1",
        recipient={"slack": {"incoming_webhook": {"url": url}}},
        rendered={"text": "Deploy *finished* :tada:"},
    )


def local(**kwargs: Any) -> SlackProvider:
    kwargs.setdefault("allow_private", True)
    kwargs.setdefault("allowed_hosts", ("127.0.0.1",))
    return SlackProvider(**kwargs)


def test_ok_is_sent_without_a_reference_and_the_request_is_as_documented(
    slack: tuple[FakeSlack, int],
) -> None:
    state, port = slack
    handoffs: list[bool] = []
    receipt = local().send(
        dispatch(f"http://127.0.0.1:{port}{WEBHOOK_PATH}"), lambda: handoffs.append(True)
    )
    assert receipt.outcome == ChannelOutcome.SENT
    assert receipt.reference is None
    assert handoffs == [True]
    assert state.problems == []
    [request] = state.requests
    assert request.method == "POST"
    assert request.path == WEBHOOK_PATH
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"text": "Deploy *finished* :tada:"}


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("invalid_payload", 400),
        ("no_text", 400),
        ("action_prohibited", 403),
        ("invalid_token", 403),
        ("channel_not_found", 404),
        ("no_service", 404),
        ("channel_is_archived", 410),
    ],
)
def test_documented_refusals_are_permanent_with_the_body_as_code(
    slack: tuple[FakeSlack, int], answer: str, status: int
) -> None:
    state, port = slack
    state.answer = answer
    with pytest.raises(PermanentProviderError) as caught:
        local().send(dispatch(f"http://127.0.0.1:{port}{WEBHOOK_PATH}"), lambda: None)
    error = caught.value
    assert error.code == answer
    assert error.provider == "slack"
    assert f"HTTP {status}" in str(error)
    assert "127.0.0.1" in str(error)
    assert SECRET not in str(error)
    assert "/services/" not in str(error)
    assert state.problems == []


@pytest.mark.parametrize(
    ("answer", "code", "retry_after_s"),
    [
        ("rate_limited", "rate_limited", 15.0),
        ("rollup_error", "rollup_error", None),
        ("unavailable", "service_unavailable", 4.0),
    ],
)
def test_rate_limits_and_server_errors_are_retryable_honouring_retry_after(
    slack: tuple[FakeSlack, int], answer: str, code: str, retry_after_s: float | None
) -> None:
    state, port = slack
    state.answer = answer
    with pytest.raises(RetryableProviderError) as caught:
        local().send(dispatch(f"http://127.0.0.1:{port}{WEBHOOK_PATH}"), lambda: None)
    assert caught.value.code == code
    assert caught.value.retry_after_s == retry_after_s
    assert SECRET not in str(caught.value)


def test_nobody_listening_is_retryable_and_nothing_was_handed_off() -> None:
    handoffs: list[bool] = []
    with pytest.raises(RetryableProviderError) as caught:
        local().send(
            dispatch(f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"),
            lambda: handoffs.append(True),
        )
    assert handoffs == []
    assert SECRET not in str(caught.value)


def test_no_answer_after_the_request_left_is_ambiguous() -> None:
    handoffs: list[bool] = []
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        port = silent.getsockname()[1]
        with pytest.raises(AmbiguousProviderError) as caught:
            local(timeout_s=0.3).send(
                dispatch(f"http://127.0.0.1:{port}{WEBHOOK_PATH}"), lambda: handoffs.append(True)
            )
    assert handoffs == [True]
    assert SECRET not in str(caught.value)


def test_a_private_address_is_refused_by_default(slack: tuple[FakeSlack, int]) -> None:
    state, port = slack
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="private or reserved"):
        local(allow_private=False).send(
            dispatch(f"https://127.0.0.1:{port}{WEBHOOK_PATH}"), lambda: handoffs.append(True)
        )
    assert handoffs == []
    assert state.requests == []


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records (and fails) any name lookup or connection the provider attempts."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> Any:
        attempts.append(repr(args))
        raise OSError("network use in a test that must not touch the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        f"https://hooks.slack.com.evil.example{WEBHOOK_PATH}",
        f"https://evil.example/hooks.slack.com{WEBHOOK_PATH}",
        f"https://hooks.slack.com@evil.example{WEBHOOK_PATH}",
        f"http://hooks.slack.com{WEBHOOK_PATH}",
        f"ftp://hooks.slack.com{WEBHOOK_PATH}",
        f"https://hooks.slack.com{WEBHOOK_PATH}\r\nx-injected: 1",
        f"https://hooks.slack.com:notaport{WEBHOOK_PATH}",
    ],
)
def test_urls_outside_the_allowed_https_hosts_are_refused_without_network_use(
    no_network: list[str], url: str
) -> None:
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="refused") as caught:
        SlackProvider().send(dispatch(url), lambda: handoffs.append(True))
    assert SECRET not in str(caught.value)
    assert handoffs == []
    assert no_network == []


def test_a_host_outside_allowed_hosts_is_never_connected_to(slack: tuple[FakeSlack, int]) -> None:
    state, port = slack
    with pytest.raises(PermanentProviderError, match="localhost is not an allowed"):
        local().send(dispatch(f"http://localhost:{port}{WEBHOOK_PATH}"), lambda: None)
    assert state.requests == []


def test_plain_http_is_allowed_only_with_allow_private(slack: tuple[FakeSlack, int]) -> None:
    state, port = slack
    with pytest.raises(PermanentProviderError, match="not https"):
        local(allow_private=False).send(
            dispatch(f"http://127.0.0.1:{port}{WEBHOOK_PATH}"), lambda: None
        )
    assert state.requests == []
