"""The Twilio provider against a local fake of the Messages API that checks each request."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest

from herald.domain.message import ChannelOutcome
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch, Receipt
from herald.providers.twilio import TwilioProvider
from herald_tools.local.processes import free_port
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "fake-auth-token-for-tests-0123456"
FROM_NUMBER = "+15005550006"
MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
MESSAGE_SID = "SM0123456789abcdef0123456789abcdef"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
DISPATCH = Dispatch(
    message_id="m1",
    attempt_key="m1-sms-1",
    recipient={"phone_number": "+14155550100"},
    rendered={"text": "Your code is 123456 & it's yours ✓"},
)


def twilio_error(status: int, code: int, message: str) -> Reply:
    """A Twilio REST error answer."""
    return Reply(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def basic_credentials(authorization: str) -> str | None:
    """``user:password`` from a Basic ``Authorization`` header, else None."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme != "Basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def message_resource(form: dict[str, list[str]], status: str, error_code: int | None) -> Reply:
    """The 201 answer: the created Message resource."""
    return Reply(
        201,
        {
            "sid": MESSAGE_SID,
            "account_sid": ACCOUNT_SID,
            "to": form["To"][0],
            "from": form.get("From", [None])[0],
            "messaging_service_sid": form.get("MessagingServiceSid", [None])[0],
            "body": form["Body"][0],
            "status": status,
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "error_code": error_code,
            "error_message": None,
            "uri": f"{MESSAGES_PATH[:-5]}/{MESSAGE_SID}.json",
        },
    )


@dataclass
class FakeTwilio(FakeApi):
    message_status: str = "queued"
    error_code: int | None = None

    def refusal(self, request: RecordedRequest) -> Reply | None:
        """The answer the real API gives to a request it does not take, else None."""
        if request.method != "POST" or request.path != MESSAGES_PATH:
            return twilio_error(404, 20404, "The requested resource was not found")
        credentials = basic_credentials(request.headers.get("authorization", ""))
        if credentials != f"{ACCOUNT_SID}:{AUTH_TOKEN}":
            return twilio_error(401, 20003, "Authenticate")
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        try:
            form = parse_qs(request.body.decode(), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if unknown := form.keys() - {"To", "From", "MessagingServiceSid", "Body", "StatusCallback"}:
            return twilio_error(400, 20001, f"unexpected parameters {sorted(unknown)}")
        if any(len(values) != 1 for values in form.values()):
            return twilio_error(400, 20001, "a parameter was sent more than once")
        if not form.get("To", [""])[0].startswith("+"):
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body", [""])[0]:
            return twilio_error(400, 21602, "Message body is required.")
        if ("From" in form) == ("MessagingServiceSid" in form):
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        callback = form.get("StatusCallback", ["https://"])[0]
        if not callback.startswith(("https://", "http://")):
            return twilio_error(400, 21609, "The StatusCallback URL is not a valid URL.")
        return None

    def respond(self, request: RecordedRequest) -> Reply:
        """Create the message."""
        form = parse_qs(request.body.decode())
        return message_resource(form, self.message_status, self.error_code)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with serve(FakeTwilio()) as fake:
        yield fake


def provider(
    fake: FakeTwilio,
    sender: str = FROM_NUMBER,
    auth_token: str = AUTH_TOKEN,
    timeout_s: float = 5.0,
) -> TwilioProvider:
    return TwilioProvider(
        ACCOUNT_SID, auth_token, sender, base_url=fake.url, timeout_s=timeout_s, allow_private=True
    )


def test_a_201_is_sent_with_the_message_sid_and_the_request_is_as_documented(
    twilio: FakeTwilio,
) -> None:
    handoffs: list[int] = []
    receipt = provider(twilio).send(DISPATCH, lambda: handoffs.append(len(twilio.requests)))
    assert receipt == Receipt(ChannelOutcome.SENT, MESSAGE_SID)
    assert handoffs == [0]  # once, before the request left
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == MESSAGES_PATH
    assert basic_credentials(request.headers["authorization"]) == f"{ACCOUNT_SID}:{AUTH_TOKEN}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode(), strict_parsing=True) == {
        "To": ["+14155550100"],
        "From": [FROM_NUMBER],
        "Body": ["Your code is 123456 & it's yours ✓"],
    }


def test_with_a_public_url_twilio_is_asked_to_post_the_status_to_the_message_callback(
    twilio: FakeTwilio,
) -> None:
    dispatch = Dispatch(
        message_id="m 1",
        attempt_key="m1-sms-1",
        recipient={"phone_number": "+14155550100"},
        rendered={"text": "Hi"},
        workspace="ws1",
    )
    sender = TwilioProvider(
        ACCOUNT_SID,
        AUTH_TOKEN,
        FROM_NUMBER,
        base_url=twilio.url,
        allow_private=True,
        public_url="https://herald.example.com/",
    )
    assert sender.send(dispatch, lambda: None) == Receipt(ChannelOutcome.SENT, MESSAGE_SID)
    [request] = twilio.requests
    form = parse_qs(request.body.decode(), strict_parsing=True)
    assert form["StatusCallback"] == [
        "https://herald.example.com/callbacks/twilio/ws1/status/m%201"
    ]


def test_a_messaging_service_sender_is_sent_as_messaging_service_sid(twilio: FakeTwilio) -> None:
    twilio.message_status = "accepted"
    receipt = provider(twilio, sender=MESSAGING_SERVICE_SID).send(DISPATCH, lambda: None)
    assert receipt == Receipt(ChannelOutcome.SENT, MESSAGE_SID)
    [request] = twilio.requests
    assert parse_qs(request.body.decode(), strict_parsing=True) == {
        "To": ["+14155550100"],
        "MessagingServiceSid": [MESSAGING_SERVICE_SID],
        "Body": ["Your code is 123456 & it's yours ✓"],
    }


@pytest.mark.parametrize("status", ["queued", "accepted", "sending", "sent"])
def test_a_message_on_its_way_is_sent(twilio: FakeTwilio, status: str) -> None:
    twilio.message_status = status
    assert provider(twilio).send(DISPATCH, lambda: None).outcome == ChannelOutcome.SENT


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_message_created_as_failed_is_permanent(twilio: FakeTwilio, status: str) -> None:
    twilio.message_status, twilio.error_code = status, 30007
    with pytest.raises(PermanentProviderError) as caught:
        provider(twilio).send(DISPATCH, lambda: None)
    assert caught.value.code == "30007"
    assert status in str(caught.value)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number +14155550100 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
        (21614, "'To' number is not a valid mobile number"),
    ],
)
def test_a_400_is_permanent_with_twilios_code_and_message(
    twilio: FakeTwilio, code: int, message: str
) -> None:
    twilio.reply = twilio_error(400, code, message)
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError) as caught:
        provider(twilio).send(DISPATCH, lambda: handoffs.append(True))
    error = caught.value
    assert error.code == str(code)
    assert error.provider == "twilio"
    assert str(error) == f"HTTP 400 from twilio: error {code}: {message}"
    assert AUTH_TOKEN not in str(error)
    assert handoffs == [True]


def test_a_wrong_auth_token_is_permanent_and_never_quoted(twilio: FakeTwilio) -> None:
    wrong_token = "wrong-token-0123456789abcdef"
    with pytest.raises(PermanentProviderError) as caught:
        provider(twilio, auth_token=wrong_token).send(DISPATCH, lambda: None)
    assert caught.value.code == "20003"
    assert "HTTP 401" in str(caught.value)
    assert "authentication failed" in str(caught.value)
    assert wrong_token not in str(caught.value)
    assert base64.b64encode(f"{ACCOUNT_SID}:{wrong_token}".encode()).decode() not in str(
        caught.value
    )


def test_an_error_message_quoting_the_auth_token_is_redacted(twilio: FakeTwilio) -> None:
    twilio.reply = twilio_error(400, 20001, f"token {AUTH_TOKEN} is not allowed here")
    with pytest.raises(PermanentProviderError) as caught:
        provider(twilio).send(DISPATCH, lambda: None)
    assert AUTH_TOKEN not in str(caught.value)
    assert "token <redacted> is not allowed" in str(caught.value)


def test_a_long_error_message_is_cut_to_200_characters(twilio: FakeTwilio) -> None:
    twilio.reply = twilio_error(400, 21211, "x" * 1000)
    with pytest.raises(PermanentProviderError) as caught:
        provider(twilio).send(DISPATCH, lambda: None)
    detail = str(caught.value).removeprefix("HTTP 400 from twilio: ")
    assert detail.startswith("error 21211: xxx")
    assert len(detail) == 200


def test_429_is_retryable_after_retry_after(twilio: FakeTwilio) -> None:
    twilio.reply = twilio_error(429, 20429, "Too Many Requests")
    twilio.reply.headers["Retry-After"] = "5"
    with pytest.raises(RetryableProviderError) as caught:
        provider(twilio).send(DISPATCH, lambda: None)
    assert caught.value.retry_after_s == 5.0
    assert caught.value.code == "20429"


@pytest.mark.parametrize(
    ("reply", "code", "retry_after_s"),
    [
        (twilio_error(500, 20500, "Internal Server Error"), "20500", None),
        (Reply(503, "<html>Service Unavailable</html>", {"Retry-After": "2"}), "503", 2.0),
    ],
)
def test_server_errors_are_retryable(
    twilio: FakeTwilio, reply: Reply, code: str, retry_after_s: float | None
) -> None:
    twilio.reply = reply
    with pytest.raises(RetryableProviderError) as caught:
        provider(twilio).send(DISPATCH, lambda: None)
    assert caught.value.code == code
    assert caught.value.retry_after_s == retry_after_s
    assert AUTH_TOKEN not in str(caught.value)


def test_no_answer_after_the_request_left_is_ambiguous(twilio: FakeTwilio) -> None:
    twilio.hang = True
    handoffs: list[bool] = []
    with pytest.raises(AmbiguousProviderError):
        provider(twilio, timeout_s=0.5).send(DISPATCH, lambda: handoffs.append(True))
    assert handoffs == [True]
    assert len(twilio.requests) == 1


def test_nobody_listening_is_retryable_and_nothing_was_handed_off() -> None:
    handoffs: list[bool] = []
    twilio = TwilioProvider(
        ACCOUNT_SID,
        AUTH_TOKEN,
        FROM_NUMBER,
        base_url=f"http://127.0.0.1:{free_port()}",
        allow_private=True,
    )
    with pytest.raises(RetryableProviderError):
        twilio.send(DISPATCH, lambda: handoffs.append(True))
    assert handoffs == []


def test_a_private_address_is_refused_unless_allowed(twilio: FakeTwilio) -> None:
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="private or reserved"):
        TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, base_url=twilio.url).send(
            DISPATCH, lambda: handoffs.append(True)
        )
    assert handoffs == []
    assert twilio.requests == []


def test_a_recipient_without_a_phone_number_is_permanent_and_not_sent(twilio: FakeTwilio) -> None:
    dispatch = Dispatch("m1", "m1-sms-1", {"email": "ada@example.com"}, DISPATCH.rendered)
    with pytest.raises(PermanentProviderError) as caught:
        provider(twilio).send(dispatch, lambda: None)
    assert caught.value.code == "NO_PHONE_NUMBER"
    assert twilio.requests == []
