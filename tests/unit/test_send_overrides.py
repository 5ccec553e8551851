"""Courier's channels.<channel>.if and .override, and providers.<provider>.override: a
false if leaves the channel out of routing, an override replaces rendered content, and
nothing reaches a provider's endpoint or credentials."""

from __future__ import annotations

from typing import Any

from herald.domain.send import (
    MAX_CONDITION_CHARS,
    MAX_OVERRIDE_SUBJECT_CHARS,
    MAX_OVERRIDE_TEXT_CHARS,
)
from tests.unit.fakes import FakeProvider
from tests.unit.test_api import call
from tests.unit.test_send_features import send, with_channels
from tests.unit.test_send_validation import errors_of

CONTENT = {"title": "Hi", "body": "Code {{code}}"}
BOTH = {"email": "ada@example.com", "phone_number": "+15555550100"}
EMAIL_THEN_SMS = {"method": "single", "channels": ["email", "sms"]}


def message(**fields: Any) -> dict[str, Any]:
    return {"message": {"to": {"email": "a@example.com"}, "content": CONTENT, **fields}}


def test_an_if_is_a_template_expression_of_bounded_size() -> None:
    assert errors_of(message(channels={"email": {"if": "data.vip"}})) == {}
    at_limit = "data.v" + "x" * (MAX_CONDITION_CHARS - len("data.v"))
    assert errors_of(message(channels={"email": {"if": at_limit}})) == {}
    over = errors_of(message(channels={"email": {"if": at_limit + "x"}}))
    assert list(over) == ["message.channels.email.if"]
    broken = errors_of(message(channels={"email": {"if": "{{#if data.vip}}"}}))
    assert list(broken) == ["message.channels.email.if"]


def test_an_override_takes_only_the_channels_own_fields() -> None:
    assert (
        errors_of(message(channels={"email": {"override": {"subject": "S", "html": "<p>"}}})) == {}
    )
    assert errors_of(message(channels={"sms": {"override": {"subject": "S"}}})) == {
        "message.channels": "sms.override.subject: the sms channel has no subject (it takes text)"
    }
    assert errors_of(message(channels={"email": {"override": {"from": "boss@example.com"}}})) == {
        "message.channels.email.override.from": "is a Courier field Herald does not support yet"
    }
    assert list(
        errors_of(message(channels={"email": {"override": {"subject": "a\r\nBcc: x"}}}))
    ) == ["message.channels.email.override.subject"]


def test_an_overrides_texts_are_bounded_at_their_limits() -> None:
    subject, text = "s" * MAX_OVERRIDE_SUBJECT_CHARS, "t" * MAX_OVERRIDE_TEXT_CHARS
    fits = {"email": {"override": {"subject": subject, "text": text}}}
    assert errors_of(message(channels=fits)) == {}
    too_long = {"email": {"override": {"subject": subject + "s", "text": text + "t"}}}
    assert set(errors_of(message(channels=too_long))) == {
        "message.channels.email.override.subject",
        "message.channels.email.override.text",
    }


def test_a_provider_override_never_reaches_its_endpoint_or_credentials() -> None:
    for refused in ("config", "url", "headers"):
        errors = errors_of(
            message(providers={"sendgrid": {"override": {refused: {"apiKey": "k"}}}})
        )
        assert list(errors) == ["message.providers.sendgrid.override"]
        assert errors["message.providers.sendgrid.override"].startswith(f"{refused}: ")
    body = {"sendgrid": {"override": {"body": {"subject": "S"}}}}
    assert errors_of(message(providers=body)) == {}
    wrong = {"twilio": {"override": {"body": {"subject": "S"}}}}
    assert errors_of(message(providers=wrong)) == {
        "message.providers": "twilio.override.body.subject: the sms channel has no subject"
        " (it takes text)"
    }


def test_a_false_if_leaves_its_channel_out_of_routing() -> None:
    sms = FakeProvider("twilio", "sms")
    api, pipeline = with_channels(sms)
    channels = {"email": {"if": "data.vip"}}
    base = {"to": BOTH, "content": CONTENT, "routing": EMAIL_THEN_SMS, "channels": channels}
    routine = send(api, pipeline, {**base, "data": {"vip": False, "code": 1}})
    assert routine["status"] == "SENT"
    assert (len(pipeline.email.sent), len(sms.sent)) == (0, 1)
    vip = send(api, pipeline, {**base, "data": {"vip": True, "code": 2}})
    assert vip["status"] == "SENT"
    assert (len(pipeline.email.sent), len(sms.sent)) == (1, 1)


def test_an_if_reads_the_recipients_profile() -> None:
    api, pipeline = with_channels()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com", "plan": "free"}})
    channels = {"email": {"if": 'eq profile.plan "gold"'}}
    ended = send(
        api, pipeline, {"to": {"user_id": "ada"}, "content": CONTENT, "channels": channels}
    )
    assert ended["status"] == "UNROUTABLE"
    assert "the if of email was false" in ended["error"]
    assert pipeline.email.sent == []


def test_a_channel_override_replaces_the_rendered_content() -> None:
    api, pipeline = with_channels()
    override = {"subject": "Overridden", "html": "<p>Exact {{code}}</p>"}
    ended = send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "content": CONTENT,
            "data": {"code": 7},
            "channels": {"email": {"override": override}},
        },
    )
    assert ended["status"] == "SENT"
    rendered = pipeline.email.sent[-1].rendered
    assert rendered["subject"] == "Overridden"
    assert rendered["html"] == "<p>Exact {{code}}</p>"  # literal, as Courier applies it
    assert rendered["text"] == "Code 7"  # what it does not name stays rendered


def test_a_provider_override_applies_to_that_provider_alone() -> None:
    smtp, sendgrid = FakeProvider("smtp", "email"), FakeProvider("sendgrid", "email")
    api, pipeline = with_channels(smtp, sendgrid)
    providers = {"sendgrid": {"override": {"body": {"subject": "For SendGrid"}}}}
    base = {"to": {"email": "a@example.com"}, "content": CONTENT, "providers": providers}
    send(api, pipeline, {**base, "channels": {"email": {"providers": ["smtp"]}}})
    send(api, pipeline, {**base, "channels": {"email": {"providers": ["sendgrid"]}}})
    assert smtp.sent[-1].rendered["subject"] == "Hi"
    assert sendgrid.sent[-1].rendered["subject"] == "For SendGrid"


def test_a_providers_if_is_checked_like_a_channels() -> None:
    assert errors_of(message(providers={"sendgrid": {"if": "data.eu"}})) == {}
    broken = errors_of(message(providers={"sendgrid": {"if": "{{/if}}"}}))
    assert list(broken) == ["message.providers.sendgrid.if"]
    too_long = errors_of(message(providers={"sendgrid": {"if": "x" * (MAX_CONDITION_CHARS + 1)}}))
    assert list(too_long) == ["message.providers.sendgrid.if"]


def test_a_provider_whose_if_is_false_is_not_tried() -> None:
    smtp, sendgrid = FakeProvider("smtp", "email"), FakeProvider("sendgrid", "email")
    api, pipeline = with_channels(smtp, sendgrid)
    base = {
        "to": {"email": "a@example.com"},
        "content": CONTENT,
        "channels": {"email": {"providers": ["smtp", "sendgrid"]}},
        "providers": {"smtp": {"if": "data.eu"}},
    }
    outside = send(api, pipeline, {**base, "data": {"eu": False}})
    assert outside["providers"][0]["provider"] == "sendgrid"
    inside = send(api, pipeline, {**base, "data": {"eu": True}})
    assert inside["providers"][0]["provider"] == "smtp"
    assert (len(smtp.sent), len(sendgrid.sent)) == (1, 1)
