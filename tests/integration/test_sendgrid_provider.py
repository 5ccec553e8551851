"""The SendGrid provider against a local fake of the v3 Mail Send API that checks each request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from herald.domain.message import ChannelOutcome
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch, Receipt
from herald.providers.sendgrid import SendGridProvider
from herald_tools.local.processes import free_port
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration

API_KEY = "SG.fake-key-for-tests.0123456789"
SENDER = "Herald <noreply@example.com>"
DISPATCH = Dispatch(
    message_id="m1",
    attempt_key="m1-email-1",
    recipient={"email": "ada@example.com"},
    rendered={"subject": "Hi Ada", "text": "Your code is 123456 ✓"},
    workspace="ws1",
)


def errors(*messages: str) -> dict[str, Any]:
    """A SendGrid error body."""
    return {"errors": [{"message": m, "field": None, "help": None} for m in messages]}


def mail_send_problem(body: Any) -> str | None:
    """What the documented v3 Mail Send request schema has against ``body``, if anything."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    required = {"personalizations", "from", "subject", "content"}
    if missing := required - body.keys():
        return f"missing {sorted(missing)}"
    if unknown := body.keys() - required - {"custom_args", "headers"}:
        return f"unexpected {sorted(unknown)}"
    personalizations = body["personalizations"]
    if not isinstance(personalizations, list) or len(personalizations) != 1:
        return "personalizations must hold one personalization"
    if not isinstance(personalizations[0], dict) or set(personalizations[0]) != {"to"}:
        return "a personalization must have only to"
    addresses = [*personalizations[0]["to"], body["from"]]
    for address in addresses:
        if not isinstance(address, dict) or not {"email"} <= address.keys() <= {"email", "name"}:
            return "an address is an object with email and an optional name"
        if not all(isinstance(v, str) and v for v in address.values()):
            return "an address's email and name must be non-empty strings"
    if not isinstance(body["subject"], str) or not body["subject"]:
        return "subject must be a non-empty string"
    content = body["content"]
    if not isinstance(content, list) or not content:
        return "content must be a non-empty list"
    for part in content:
        if not isinstance(part, dict) or set(part) != {"type", "value"}:
            return "a content part has exactly type and value"
        if not isinstance(part["value"], str) or not part["value"]:
            return "a content value must be a non-empty string"
    types = [part["type"] for part in content]
    if types not in (["text/plain"], ["text/plain", "text/html"]):
        return "content is text/plain, then optionally text/html"
    headers = body.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        return "headers must map names to strings"
    custom_args = body.get("custom_args", {})
    if not isinstance(custom_args, dict) or not all(
        isinstance(v, str) for v in custom_args.values()
    ):
        return "custom_args values must be strings"
    return None


class FakeSendGrid(FakeApi):
    def refusal(self, request: RecordedRequest) -> Reply | None:
        """The answer the real API gives to a request it does not take, else None."""
        if request.method != "POST" or request.path != "/v3/mail/send":
            return Reply(404, errors("Not Found"), {})
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return Reply(
                401,
                errors("The provided authorization grant is invalid, expired, or revoked"),
                {},
            )
        if request.headers.get("content-type") != "application/json":
            return Reply(415, errors("Content-Type should be application/json."), {})
        try:
            body = json.loads(request.body)
        except ValueError:
            return Reply(400, errors("Bad Request"), {})
        if problem := mail_send_problem(body):
            return Reply(400, errors(problem), {})
        return None

    def respond(self, request: RecordedRequest) -> Reply:
        return Reply(202, "", {"X-Message-Id": "sg-4b2a9f"})


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with serve(FakeSendGrid()) as fake:
        yield fake


def provider(
    fake: FakeSendGrid, api_key: str = API_KEY, sender: str = SENDER, timeout_s: float = 5.0
) -> SendGridProvider:
    return SendGridProvider(
        api_key, sender, base_url=fake.url, timeout_s=timeout_s, allow_private=True
    )


def test_a_202_is_sent_with_the_message_id_and_the_request_is_as_documented(
    sendgrid: FakeSendGrid,
) -> None:
    handoffs: list[int] = []
    receipt = provider(sendgrid).send(DISPATCH, lambda: handoffs.append(len(sendgrid.requests)))
    assert receipt == Receipt(ChannelOutcome.SENT, "sg-4b2a9f")
    assert handoffs == [0]  # once, before the request left
    [request] = sendgrid.requests
    assert request.method == "POST"
    assert request.path == "/v3/mail/send"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "personalizations": [{"to": [{"email": "ada@example.com"}]}],
        "from": {"email": "noreply@example.com", "name": "Herald"},
        "subject": "Hi Ada",
        "content": [{"type": "text/plain", "value": "Your code is 123456 ✓"}],
        # Echoed in every Event Webhook event: what ties a callback to its message.
        "custom_args": {
            "herald_workspace": "ws1",
            "herald_message_id": "m1",
            "herald_attempt": "m1-email-1",
        },
    }


def test_a_topic_mail_carries_one_click_unsubscribe_headers_and_its_html_after_the_text(
    sendgrid: FakeSendGrid,
) -> None:
    url = "https://herald.example/unsubscribe/0a1b2c3d.payload.signaturesignaturesig"
    rendered = {**DISPATCH.rendered, "html": "<p>Your code</p>", "list_unsubscribe": url}
    dispatch = Dispatch("m1", "m1-email-1", DISPATCH.recipient, rendered)
    assert provider(sendgrid).send(dispatch, lambda: None).outcome == ChannelOutcome.SENT
    [request] = sendgrid.requests
    body = json.loads(request.body)
    assert body["content"] == [
        {"type": "text/plain", "value": "Your code is 123456 ✓"},
        {"type": "text/html", "value": "<p>Your code</p>"},
    ]
    assert body["headers"] == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_a_sender_without_a_display_name_is_sent_without_one(sendgrid: FakeSendGrid) -> None:
    provider(sendgrid, sender="noreply@example.com").send(DISPATCH, lambda: None)
    [request] = sendgrid.requests
    assert json.loads(request.body)["from"] == {"email": "noreply@example.com"}


def test_a_sender_with_no_address_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="no email address"):
        SendGridProvider(API_KEY, "Herald")


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Does not contain a valid address."),
        (403, "The from address does not match a verified Sender Identity."),
        (404, "resource not found"),
        (413, "The JSON payload you have included in your request is too large."),
    ],
)
def test_client_errors_are_permanent_with_sendgrids_first_message(
    sendgrid: FakeSendGrid, status: int, message: str
) -> None:
    sendgrid.reply = Reply(status, errors(message, "a second error"), {})
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError) as caught:
        provider(sendgrid).send(DISPATCH, lambda: handoffs.append(True))
    error = caught.value
    assert error.code == str(status)
    assert error.provider == "sendgrid"
    assert str(error) == f"HTTP {status} from sendgrid: {message}"
    assert API_KEY not in str(error)
    assert handoffs == [True]


def test_a_wrong_api_key_is_permanent_and_never_quoted(sendgrid: FakeSendGrid) -> None:
    wrong_key = "SG.wrong.0123456789abcdef"
    with pytest.raises(PermanentProviderError) as caught:
        provider(sendgrid, api_key=wrong_key).send(DISPATCH, lambda: None)
    assert caught.value.code == "401"
    assert "authorization grant is invalid" in str(caught.value)
    assert wrong_key not in str(caught.value)


def test_an_error_message_quoting_the_api_key_is_redacted(sendgrid: FakeSendGrid) -> None:
    sendgrid.reply = Reply(400, errors(f"key {API_KEY} may not send from this address"), {})
    with pytest.raises(PermanentProviderError) as caught:
        provider(sendgrid).send(DISPATCH, lambda: None)
    assert API_KEY not in str(caught.value)
    assert "key <redacted> may not send" in str(caught.value)


def test_a_long_error_message_is_cut_to_200_characters(sendgrid: FakeSendGrid) -> None:
    sendgrid.reply = Reply(400, errors("x" * 1000), {})
    with pytest.raises(PermanentProviderError) as caught:
        provider(sendgrid).send(DISPATCH, lambda: None)
    assert str(caught.value) == "HTTP 400 from sendgrid: " + "x" * 200


@pytest.mark.parametrize(
    ("retry_after", "reset_in_s", "low", "high"),
    [("7", None, 7.0, 7.0), ("3", 60, 3.0, 3.0), (None, 30, 25.0, 30.0)],
    ids=["retry-after", "retry-after-wins", "rate-limit-reset"],
)
def test_429_is_retryable_after_what_sendgrid_says(
    sendgrid: FakeSendGrid,
    retry_after: str | None,
    reset_in_s: int | None,
    low: float,
    high: float,
) -> None:
    headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if reset_in_s is not None:
        headers["X-RateLimit-Reset"] = str(int(time.time()) + reset_in_s)
    sendgrid.reply = Reply(429, errors("too many requests"), headers)
    with pytest.raises(RetryableProviderError) as caught:
        provider(sendgrid).send(DISPATCH, lambda: None)
    assert caught.value.code == "429"
    assert caught.value.retry_after_s is not None
    assert low <= caught.value.retry_after_s <= high


def test_429_without_a_hint_leaves_the_backoff_to_herald(sendgrid: FakeSendGrid) -> None:
    sendgrid.reply = Reply(429, errors("too many requests"), {})
    with pytest.raises(RetryableProviderError) as caught:
        provider(sendgrid).send(DISPATCH, lambda: None)
    assert caught.value.code == "429"
    assert caught.value.retry_after_s is None


@pytest.mark.parametrize(
    ("status", "headers", "retry_after_s"),
    [(500, {}, None), (503, {"Retry-After": "2"}, 2.0)],
)
def test_server_errors_are_retryable(
    sendgrid: FakeSendGrid, status: int, headers: dict[str, str], retry_after_s: float | None
) -> None:
    sendgrid.reply = Reply(status, "<html>Service Unavailable</html>", headers)
    with pytest.raises(RetryableProviderError) as caught:
        provider(sendgrid).send(DISPATCH, lambda: None)
    assert caught.value.code == str(status)
    assert caught.value.retry_after_s == retry_after_s
    assert API_KEY not in str(caught.value)


def test_no_answer_after_the_request_left_is_ambiguous(sendgrid: FakeSendGrid) -> None:
    sendgrid.hang = True
    handoffs: list[bool] = []
    with pytest.raises(AmbiguousProviderError):
        provider(sendgrid, timeout_s=0.5).send(DISPATCH, lambda: handoffs.append(True))
    assert handoffs == [True]
    assert len(sendgrid.requests) == 1


def test_nobody_listening_is_retryable_and_nothing_was_handed_off() -> None:
    handoffs: list[bool] = []
    sendgrid = SendGridProvider(
        API_KEY, SENDER, base_url=f"http://127.0.0.1:{free_port()}", allow_private=True
    )
    with pytest.raises(RetryableProviderError):
        sendgrid.send(DISPATCH, lambda: handoffs.append(True))
    assert handoffs == []


def test_a_private_address_is_refused_unless_allowed(sendgrid: FakeSendGrid) -> None:
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="private or reserved"):
        SendGridProvider(API_KEY, SENDER, base_url=sendgrid.url).send(
            DISPATCH, lambda: handoffs.append(True)
        )
    assert handoffs == []
    assert sendgrid.requests == []


def test_a_recipient_without_an_email_is_permanent_and_not_sent(sendgrid: FakeSendGrid) -> None:
    dispatch = Dispatch("m1", "m1-email-1", {"phone_number": "+14155550100"}, DISPATCH.rendered)
    with pytest.raises(PermanentProviderError) as caught:
        provider(sendgrid).send(dispatch, lambda: None)
    assert caught.value.code == "NO_EMAIL"
    assert sendgrid.requests == []
