"""The FCM provider against a local fake of the HTTP v1 ``messages:send`` endpoint."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from herald.domain.message import ChannelOutcome
from herald.errors import AmbiguousProviderError, PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch
from herald.providers.fcm import FCM_ERROR_TYPE, FcmProvider
from herald_tools.local.processes import free_port
from tests.integration.fakehttp import FakeApi, RecordedRequest, Reply, serve

pytestmark = pytest.mark.integration

PROJECT = "herald-test"
ACCESS_TOKEN = "ya29.secret-access-token"
REGISTRATION_TOKEN = "fGx1-registration-token:APA91bSecret"
MESSAGE_NAME = f"projects/{PROJECT}/messages/0:1700000000000000%31bd1c9631bd1c96"


def google_error(
    status: int, grpc_status: str, message: str, error_code: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if error_code:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}]
    return {"error": error}


# Each documented answer: status, extra headers, JSON body.
ANSWERS: dict[str, tuple[int, dict[str, str], dict[str, Any]]] = {
    "UNREGISTERED": (
        404,
        {},
        google_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
    ),
    "INVALID_ARGUMENT": (
        400,
        {},
        # Google's messages may quote the offending value: the provider must not pass it on.
        google_error(
            400,
            "INVALID_ARGUMENT",
            f"Invalid value at 'message.token' (TYPE_STRING), \"{REGISTRATION_TOKEN}\"",
            "INVALID_ARGUMENT",
        ),
    ),
    "SENDER_ID_MISMATCH": (
        403,
        {},
        google_error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
    ),
    "THIRD_PARTY_AUTH_ERROR": (
        401,
        {},
        google_error(
            401, "UNAUTHENTICATED", "Auth error from APNS or Web Push", "THIRD_PARTY_AUTH_ERROR"
        ),
    ),
    "QUOTA_EXCEEDED": (
        429,
        {"Retry-After": "30"},
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED"),
    ),
    "UNAVAILABLE": (
        503,
        {"Retry-After": "7"},
        google_error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
    ),
    "INTERNAL": (
        500,
        {},
        google_error(500, "INTERNAL", "Internal error encountered.", "INTERNAL"),
    ),
}


def check(request: RecordedRequest) -> list[str]:
    """Every way the request differs from what the HTTP v1 API documents."""
    problems: list[str] = []
    if request.method != "POST":
        problems.append(f"method {request.method}")
    if request.path != f"/v1/projects/{PROJECT}/messages:send":
        problems.append(f"path {request.path}")
    if request.headers.get("content-type") != "application/json":
        problems.append(f"content-type {request.headers.get('content-type')}")
    try:
        body = json.loads(request.body)
    except ValueError:
        problems.append("body is not JSON")
        return problems
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict) or set(body) != {"message"}:
        problems.append("body is not {'message': {...}}")
        return problems
    if set(message) - {"token", "notification", "data"}:
        problems.append(f"unexpected message fields {sorted(message)}")
    if not isinstance(message.get("token"), str):
        problems.append("message.token is not a string")
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or set(notification) - {"title", "body"}:
        problems.append(f"notification {notification!r}")
    elif not all(isinstance(v, str) for v in notification.values()):
        problems.append("a notification field is not a string")
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        problems.append(f"data values must all be strings: {data!r}")
    return problems


@dataclass
class FakeFcm(FakeApi):
    json_content_type: ClassVar[str] = "application/json; charset=UTF-8"

    answer: str = "success"
    access_token: str = ACCESS_TOKEN
    problems: list[str] = field(default_factory=list)

    def refusal(self, request: RecordedRequest) -> Reply | None:
        problems = check(request)
        self.problems.extend(problems)
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return Reply(
                401,
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. "
                    "Expected OAuth 2 access token.",
                ),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        if problems:
            return Reply(400, google_error(400, "INVALID_ARGUMENT", "bad request"))
        return None

    def respond(self, request: RecordedRequest) -> Reply:
        if self.answer == "success":
            return Reply(200, {"name": MESSAGE_NAME})
        status, headers, body = ANSWERS[self.answer]
        return Reply(status, body, headers)


@pytest.fixture
def fcm() -> Iterator[tuple[FakeFcm, str]]:
    with serve(FakeFcm()) as fake:
        yield fake, fake.url


def dispatch(data: dict[str, Any] | None = None) -> Dispatch:
    return Dispatch(
        message_id="m1",
        attempt_key="m1-push-1",
        recipient={"firebaseToken": REGISTRATION_TOKEN},
        rendered={"title": "Hi", "body": "Hello", "data": data if data is not None else {}},
    )


def provider(base_url: str, **kwargs: Any) -> FcmProvider:
    kwargs.setdefault("allow_private", True)
    return FcmProvider(PROJECT, lambda: ACCESS_TOKEN, base_url=base_url, **kwargs)


def test_a_200_is_sent_with_the_message_name_and_the_request_is_as_documented(
    fcm: tuple[FakeFcm, str],
) -> None:
    state, base_url = fcm
    handoffs: list[bool] = []
    receipt = provider(base_url).send(
        dispatch(
            {"kind": "alert", "n": 1, "flag": True, "ids": [1, 2], "meta": {"a": "b"}, "x": None}
        ),
        lambda: handoffs.append(True),
    )
    assert receipt.outcome == ChannelOutcome.SENT
    assert receipt.reference == MESSAGE_NAME
    assert handoffs == [True]
    assert state.problems == []
    [request] = state.requests
    assert request.method == "POST"
    assert request.path == f"/v1/projects/{PROJECT}/messages:send"
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "message": {
            "token": REGISTRATION_TOKEN,
            "notification": {"title": "Hi", "body": "Hello"},
            "data": {
                "kind": "alert",
                "n": "1",
                "flag": "true",
                "ids": "[1,2]",
                "meta": '{"a":"b"}',
                "x": "null",
                "herald_message_id": "m1",
            },
        }
    }


def test_a_fresh_access_token_is_asked_for_on_every_send(fcm: tuple[FakeFcm, str]) -> None:
    state, base_url = fcm
    tokens = iter(["token-1", "token-2"])
    fcm_provider = FcmProvider(PROJECT, lambda: next(tokens), base_url=base_url, allow_private=True)
    state.access_token = "token-1"
    fcm_provider.send(dispatch(), lambda: None)
    state.access_token = "token-2"
    fcm_provider.send(dispatch(), lambda: None)
    assert [r.headers["authorization"] for r in state.requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


@pytest.mark.parametrize(
    "error_code",
    ["UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR"],
)
def test_documented_refusals_are_permanent_with_the_fcm_error_code(
    fcm: tuple[FakeFcm, str], error_code: str
) -> None:
    state, base_url = fcm
    state.answer = error_code
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError) as caught:
        provider(base_url).send(dispatch({"n": 1}), lambda: handoffs.append(True))
    error = caught.value
    assert error.code == error_code
    assert error.provider == "fcm"
    assert str(ANSWERS[error_code][0]) in str(error)
    assert error_code in str(error)
    google_message = ANSWERS[error_code][2]["error"]["message"]
    assert google_message.replace(REGISTRATION_TOKEN, "<redacted>") in str(error)
    assert REGISTRATION_TOKEN not in str(error)
    assert ACCESS_TOKEN not in str(error)
    assert handoffs == [True]
    assert state.problems == []


def test_a_refused_access_token_is_permanent_and_says_so(fcm: tuple[FakeFcm, str]) -> None:
    state, base_url = fcm
    expired = "ya29.expired-access-token"
    with pytest.raises(PermanentProviderError) as caught:
        FcmProvider(PROJECT, lambda: expired, base_url=base_url, allow_private=True).send(
            dispatch(), lambda: None
        )
    assert caught.value.code == "UNAUTHENTICATED"
    assert "HTTP 401" in str(caught.value)
    assert "refused Herald's access token (expired" in str(caught.value)
    assert expired not in str(caught.value)
    assert len(state.requests) == 1


@pytest.mark.parametrize(
    ("error_code", "retry_after_s"),
    [("QUOTA_EXCEEDED", 30.0), ("UNAVAILABLE", 7.0), ("INTERNAL", None)],
)
def test_documented_transient_errors_are_retryable_honouring_retry_after(
    fcm: tuple[FakeFcm, str], error_code: str, retry_after_s: float | None
) -> None:
    state, base_url = fcm
    state.answer = error_code
    with pytest.raises(RetryableProviderError) as caught:
        provider(base_url).send(dispatch(), lambda: None)
    assert caught.value.code == error_code
    assert caught.value.retry_after_s == retry_after_s
    assert str(ANSWERS[error_code][0]) in str(caught.value)
    assert ACCESS_TOKEN not in str(caught.value)


def test_a_failing_token_source_is_retryable_before_any_request(
    fcm: tuple[FakeFcm, str],
) -> None:
    state, base_url = fcm

    def broken() -> str:
        raise RuntimeError(f"refresh failed for {ACCESS_TOKEN}")

    handoffs: list[bool] = []
    with pytest.raises(RetryableProviderError) as caught:
        FcmProvider(PROJECT, broken, base_url=base_url, allow_private=True).send(
            dispatch(), lambda: handoffs.append(True)
        )
    assert ACCESS_TOKEN not in str(caught.value)
    assert handoffs == []
    assert state.requests == []


def test_nobody_listening_is_retryable_and_nothing_was_handed_off() -> None:
    handoffs: list[bool] = []
    with pytest.raises(RetryableProviderError):
        provider(f"http://127.0.0.1:{free_port()}").send(dispatch(), lambda: handoffs.append(True))
    assert handoffs == []


def test_no_answer_after_the_request_left_is_ambiguous() -> None:
    handoffs: list[bool] = []
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never answers
        port = silent.getsockname()[1]
        with pytest.raises(AmbiguousProviderError) as caught:
            provider(f"http://127.0.0.1:{port}", timeout_s=0.3).send(
                dispatch(), lambda: handoffs.append(True)
            )
    assert handoffs == [True]
    assert ACCESS_TOKEN not in str(caught.value)


def test_a_private_address_is_refused_by_default(fcm: tuple[FakeFcm, str]) -> None:
    state, base_url = fcm
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="private or reserved"):
        provider(base_url, allow_private=False).send(dispatch(), lambda: handoffs.append(True))
    assert handoffs == []
    assert state.requests == []


def test_a_recipient_without_a_registration_token_is_permanent(fcm: tuple[FakeFcm, str]) -> None:
    state, base_url = fcm
    with pytest.raises(PermanentProviderError, match="firebaseToken"):
        provider(base_url).send(
            Dispatch("m1", "m1-push-1", {"email": "a@example.com"}, {"title": "t", "body": "b"}),
            lambda: None,
        )
    assert state.requests == []
