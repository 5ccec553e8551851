"""A profile's addresses are checked as a send's are: when written (400 naming the field)
and when a message is resolved from one (UNDELIVERABLE, never a provider call)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fakes import FakeProvider, Pipeline
from tests.unit.test_api import call, make_api

METADATA = "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token"

# Each is refused by /send in a message's `to`; the same must be refused in a profile.
BAD_ADDRESSES: dict[str, tuple[dict[str, Any], str]] = {
    "a GET webhook to the metadata server": (
        {"webhook": {"url": METADATA, "method": "GET", "headers": {"Metadata-Flavor": "Google"}}},
        "profile.webhook.method",
    ),
    "an ftp: webhook": ({"webhook": "ftp://files.example.com/drop"}, "profile.webhook.url"),
    "a webhook URL with credentials": (
        {"webhook": {"url": "https://user:pw@example.com/h"}},
        "profile.webhook.url",
    ),
    "a webhook header with CRLF": (
        {"webhook": {"url": "https://example.com/h", "headers": {"x": "a\r\nHost: evil"}}},
        "profile.webhook.headers",
    ),
    "a webhook header name that is not a token": (
        {"webhook": {"url": "https://example.com/h", "headers": {"x y": "a"}}},
        "profile.webhook.headers",
    ),
    "an email with CRLF": ({"email": "ada@example.com\r\nBcc: all@example.com"}, "profile.email"),
    "an email with a NUL": ({"email": "ada\x00@example.com"}, "profile.email"),
    "an email that is not one": ({"email": "ada"}, "profile.email"),
    "a phone number too short for its country": (
        {"phone_number": "555-0100"},
        "profile.phone_number",
    ),
    "a Slack webhook that is ftp:": (
        {"slack": {"incoming_webhook": {"url": "ftp://hooks.slack.com/x"}}},
        "profile.slack.incoming_webhook.url",
    ),
    "a Firebase token too long": ({"firebaseToken": "t" * 4097}, "profile.firebaseToken"),
}


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize(("profile", "field"), BAD_ADDRESSES.values(), ids=BAD_ADDRESSES.keys())
def test_a_profile_address_a_send_would_refuse_is_refused_when_written(
    method: str, profile: dict[str, Any], field: str
) -> None:
    api, pipeline = make_api()
    response = call(api, method, "/profiles/ada", {"profile": {"name": "Ada", **profile}})
    assert response.status == 400, response.body
    assert response.body["errors"][0]["field"] == field
    assert pipeline.documents.get("ws1", ("profiles", "ada")) is None


def test_good_addresses_and_other_keys_are_stored_as_given() -> None:
    api, _ = make_api()
    profile = {
        "name": "Ada",
        "email": "ada@example.com",
        "phone_number": "+14155550100",
        "webhook": "https://example.com/hooks/ada",
        "custom": {"plan": "pro"},
    }
    assert call(api, "PUT", "/profiles/ada", {"profile": profile}).status == 200
    assert call(api, "GET", "/profiles/ada").body["profile"] == profile


def pipeline_with_every_channel() -> Pipeline:
    return Pipeline(
        extra=[
            FakeProvider("fake-slack", "chat"),
            FakeProvider("fake-sms", "sms"),
            FakeProvider("fake-push", "push"),
        ]
    )


@pytest.mark.parametrize(("profile", "field"), BAD_ADDRESSES.values(), ids=BAD_ADDRESSES.keys())
def test_a_stored_bad_profile_makes_the_message_undeliverable_without_a_provider_call(
    profile: dict[str, Any], field: str
) -> None:
    pipeline = pipeline_with_every_channel()
    # Written around the API (or before profiles were checked).
    pipeline.documents.put("ws1", ("profiles", "ada"), {"profile": profile})
    request_id = pipeline.sending.send(
        "ws1", {"message": {"to": {"user_id": "ada"}, "content": {"title": "T", "body": "B"}}}
    )
    pipeline.drain()
    message = pipeline.messages.get_message("ws1", request_id)
    assert message is not None
    assert (message.status, message.reason) == ("UNDELIVERABLE", "FAILED")
    assert message.error is not None and "the profile of user ada" in message.error
    assert field in message.error
    providers = [pipeline.email, pipeline.webhook, *pipeline.extra]
    assert [p.calls for p in providers] == [0] * len(providers)


def test_the_messages_own_address_wins_over_a_bad_one_in_the_profile() -> None:
    pipeline = Pipeline()
    pipeline.documents.put(
        "ws1", ("profiles", "ada"), {"profile": {"webhook": {"url": METADATA, "method": "GET"}}}
    )
    request_id = pipeline.sending.send(
        "ws1",
        {
            "message": {
                "to": {"user_id": "ada", "webhook": "https://example.com/hooks/ada"},
                "content": {"body": "B"},
            }
        },
    )
    pipeline.drain()
    assert pipeline.messages.get_message("ws1", request_id).status == "DELIVERED"  # type: ignore[union-attr]
    [sent] = pipeline.webhook.sent
    assert sent.recipient["webhook"] == {"url": "https://example.com/hooks/ada"}


def test_a_profile_webhook_given_as_a_url_reaches_the_provider_as_a_destination() -> None:
    pipeline = Pipeline()
    pipeline.documents.put(
        "ws1", ("profiles", "ada"), {"profile": {"webhook": "https://example.com/hooks/ada"}}
    )
    pipeline.sending.send("ws1", {"message": {"to": {"user_id": "ada"}, "content": {"body": "B"}}})
    pipeline.drain()
    [sent] = pipeline.webhook.sent
    assert sent.recipient["webhook"] == {"url": "https://example.com/hooks/ada"}
