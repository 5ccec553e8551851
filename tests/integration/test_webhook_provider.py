"""The webhook provider against a local HTTP server that checks each request."""

from __future__ import annotations

import base64
import dataclasses
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch
from herald.providers.webhook import WebhookProvider
from herald_tools.local.processes import free_port
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration


@dataclass
class Destination(FakeApi):
    status: int = 200

    def refusal(self, request: RecordedRequest) -> Reply | None:
        """A destination takes a JSON POST; anything else is an error no test expects."""
        if request.method != "POST":
            return Reply(501, f"Unsupported method ({request.method!r})")
        try:
            json.loads(request.body)
        except ValueError:
            return Reply(415, "the body is not JSON")
        return None

    def respond(self, request: RecordedRequest) -> Reply:
        return Reply(self.status)


@pytest.fixture
def destination() -> Iterator[tuple[Destination, int]]:
    with serve(Destination()) as fake:
        yield fake, fake.port


def dispatch(url: str) -> Dispatch:
    return Dispatch(
        message_id="m1",
        attempt_key="m1-webhook-1",
        recipient={"webhook": {"url": url, "method": "POST", "headers": {"x-team": "a"}}},
        rendered={"title": "Hi", "body": "Hello", "data": {"n": 1}},
    )


def test_a_2xx_is_delivered_and_the_request_is_as_documented(
    destination: tuple[Destination, int],
) -> None:
    state, port = destination
    receipt = WebhookProvider(allow_private=True).send(
        dispatch(f"http://127.0.0.1:{port}/hooks/a?x=1"), lambda: None
    )
    assert receipt.outcome == "DELIVERED"
    [request] = state.requests
    assert request.path == "/hooks/a?x=1"
    assert request.raw_headers["content-type"] == "application/json"
    assert request.raw_headers["webhook-id"] == "m1-webhook-1"
    assert request.raw_headers["x-team"] == "a"
    assert json.loads(request.body) == {
        "event": "message",
        "messageId": "m1",
        "title": "Hi",
        "body": "Hello",
        "data": {"n": 1},
    }


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, PermanentProviderError),
        (410, PermanentProviderError),
        (429, RetryableProviderError),
        (503, RetryableProviderError),
    ],
)
def test_error_statuses_are_classified(
    destination: tuple[Destination, int], status: int, error: type[Exception]
) -> None:
    state, port = destination
    state.status = status
    with pytest.raises(error, match=str(status)):
        WebhookProvider(allow_private=True).send(
            dispatch(f"http://127.0.0.1:{port}/h"), lambda: None
        )


def test_nobody_listening_is_retryable_and_nothing_was_handed_off() -> None:
    handoffs: list[bool] = []
    with pytest.raises(RetryableProviderError):
        WebhookProvider(allow_private=True).send(
            dispatch(f"http://127.0.0.1:{free_port()}/h"), lambda: handoffs.append(True)
        )
    assert handoffs == []


def test_no_answer_after_the_request_left_is_ambiguous() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        port = silent.getsockname()[1]
        with pytest.raises(AmbiguousProviderError):
            WebhookProvider(timeout_s=0.5, allow_private=True).send(
                dispatch(f"http://127.0.0.1:{port}/h"), lambda: None
            )


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.8", "169.254.169.254", "localhost", "[::1]"])
def test_private_destinations_are_refused_by_default(host: str) -> None:
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="private or reserved"):
        WebhookProvider().send(dispatch(f"http://{host}:8080/h"), lambda: handoffs.append(True))
    assert handoffs == []


def test_deliveries_are_signed_the_standard_webhooks_way(
    destination: tuple[Destination, int],
) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    state, port = destination
    secret = "whsec_" + base64.b64encode(b"a test signing key").decode()
    WebhookProvider(allow_private=True, signing_secret=secret).send(
        dispatch(f"http://127.0.0.1:{port}/h"), lambda: None
    )
    [request] = state.requests
    body = json.loads(request.body)
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert Webhook(secret).verify(raw, request.headers) == body  # raises if the signature is wrong
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another key").decode()).verify(raw, request.headers)


def test_a_workspace_that_allows_private_destinations_reaches_them(
    destination: tuple[Destination, int],
) -> None:
    state, port = destination
    allowed = dataclasses.replace(dispatch(f"http://127.0.0.1:{port}/h"), allow_private=True)
    assert WebhookProvider().send(allowed, lambda: None).outcome == "DELIVERED"
    assert len(state.requests) == 1


@pytest.mark.parametrize(
    ("authentication", "header"),
    [
        ({"mode": "bearer", "token": "abc.DEF-123="}, "Bearer abc.DEF-123="),
        (
            {"mode": "basic", "username": "ada", "password": "p:ss wörd"},
            "Basic " + base64.b64encode("ada:p:ss wörd".encode()).decode(),
        ),
    ],
)
def test_courier_s_authentication_is_the_authorization_header(
    destination: tuple[Destination, int], authentication: dict[str, str], header: str
) -> None:
    state, port = destination
    sent = dispatch(f"http://127.0.0.1:{port}/")
    webhook = {**sent.recipient["webhook"], "authentication": authentication}
    WebhookProvider(allow_private=True).send(
        dataclasses.replace(sent, recipient={"webhook": webhook}), lambda: None
    )
    [request] = state.requests
    assert request.raw_headers["authorization"] == header
    assert "authentication" not in json.loads(request.body)


def test_an_expanded_profile_adds_the_recipient_without_its_webhook(
    destination: tuple[Destination, int],
) -> None:
    state, port = destination
    sent = dispatch(f"http://127.0.0.1:{port}/")
    webhook = {
        **sent.recipient["webhook"],
        "profile": "expanded",
        "authentication": {"mode": "bearer", "token": "secret"},
    }
    recipient = {"user_id": "ada", "email": "ada@example.com", "plan": "pro", "webhook": webhook}
    WebhookProvider(allow_private=True).send(
        dataclasses.replace(sent, recipient=recipient), lambda: None
    )
    [request] = state.requests
    body = json.loads(request.body)
    assert body["profile"] == {"user_id": "ada", "email": "ada@example.com", "plan": "pro"}
    assert "secret" not in request.body.decode()
    # Limited (the default) adds none.
    WebhookProvider(allow_private=True).send(sent, lambda: None)
    assert "profile" not in json.loads(state.requests[-1].body)
