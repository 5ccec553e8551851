"""The send message as Courier documents it: its channel names, provider keys, metadata.event,
templates named, phone numbers; each accepted as Courier means it or refused with a 400 that
names the field, never accepted and dropped."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest

from herald.api.http import Api
from herald.domain.send import e164
from herald.ids import hash_api_key
from herald.store.base import WorkspaceSettings
from tests.unit.fakes import FakeProvider, Pipeline, settings_with
from tests.unit.test_api import KEY, call

CONTENT = {"title": "T", "body": "B"}


def make(*extra: FakeProvider) -> tuple[Api, Pipeline]:
    pipeline = Pipeline(settings_with(), extra=list(extra))
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    return pipeline.api, pipeline


def send(api: Api, **message: Any) -> Any:
    return call(api, "POST", "/send", {"message": {"content": CONTENT, **message}})


def refusal(response: Any) -> tuple[str, str]:
    assert response.status == 400, response.body
    error = response.body["errors"][0]
    return error["field"], error["reason"]


def test_direct_message_is_courier_s_name_for_the_chat_channel_and_chat_stays_an_alias() -> None:
    slack = FakeProvider("slack", "chat")
    api, pipeline = make(slack)
    to = {"email": "ada@example.com", "slack": {"incoming_webhook": {"url": "https://h.test/x"}}}
    for name in ("direct_message", "chat"):
        sent = send(api, to=to, routing={"method": "single", "channels": [name]})
        assert sent.status == 202, sent.body
    pipeline.drain()
    assert slack.calls == 2
    assert pipeline.email.calls == 0


def test_a_provider_key_in_routing_sends_on_its_channel_through_that_provider() -> None:
    sendgrid = FakeProvider("sendgrid", "email")
    api, pipeline = make(sendgrid)
    sent = send(api, to={"email": "ada@example.com"}, routing={"channels": ["sendgrid"]})
    assert sent.status == 202, sent.body
    pipeline.drain()
    message = call(api, "GET", f"/messages/{sent.body['requestId']}").body
    assert (message["status"], sendgrid.calls, pipeline.email.calls) == ("SENT", 1, 0)
    assert [p["provider"] for p in message["providers"]] == ["sendgrid"]


@pytest.mark.parametrize(
    ("message", "field", "reason"),
    [
        (
            {"routing": {"channels": ["banner"]}},
            "message.routing.channels[0]",
            "'banner' is a Courier channel that no Herald provider serves yet",
        ),
        (
            {"channels": {"banner": {}}},
            "message.channels",
            "'banner' is a Courier channel that no Herald provider serves yet",
        ),
        (
            {"routing": {"channels": ["pigeon"]}},
            "message.routing.channels[0]",
            "'pigeon' is not a channel: one of email, sms, push, direct_message, chat, webhook,"
            " inbox, banner, or a provider: one of smtp, sendgrid, twilio, fcm, slack, msteams, webhook, inbox",
        ),
        (
            {"channels": {"email": {"providers": ["smtp", "mailgun"]}}},
            "message.channels.email.providers[1]",
            "'mailgun' is not a provider: one of smtp, sendgrid, twilio, fcm, slack, msteams, webhook, inbox",
        ),
        (
            {"providers": {"mailgun": {"timeouts": 1000}}},
            "message.providers",
            "'mailgun' is not a provider: one of smtp, sendgrid, twilio, fcm, slack, msteams, webhook, inbox",
        ),
        (
            {"channels": {"email": {"providers": ["twilio"]}}},
            "message.channels",
            "email: provider 'twilio' serves sms, not email",
        ),
        (
            {"channels": {"sendgrid": {}}},
            "message.channels",
            "'sendgrid' is a provider, not a channel: give its settings in providers.sendgrid,"
            " or pin it in channels.email.providers",
        ),
        (
            {"channels": {"msteams": {}}},
            "message.channels",
            "'msteams' is a provider, not a channel: give its settings in providers.msteams,"
            " or pin it in channels.direct_message.providers",
        ),
        (
            {"channels": {"chat": {}, "direct_message": {}}},
            "message.channels",
            "names the channel chat twice ('direct_message' is an alias)",
        ),
        (
            {"routing": {"channels": ["sendgrid", "email"]}},
            "message",
            "routing names both the email channel and its provider 'sendgrid': name one, or"
            " order them in channels.email.providers",
        ),
        (
            {"routing": {"channels": ["sendgrid"]}, "channels": {"email": {"providers": ["smtp"]}}},
            "message",
            "routing names provider 'sendgrid', which the email channel's providers (smtp)"
            " leave out",
        ),
    ],
)
def test_names_that_would_be_dropped_are_a_400_naming_them(
    message: dict[str, Any], field: str, reason: str
) -> None:
    api, pipeline = make()
    assert refusal(send(api, to={"email": "ada@example.com"}, **message)) == (field, reason)
    assert pipeline.messages.messages == {}


def test_a_template_that_does_not_exist_is_refused_at_send() -> None:
    api, pipeline = make()
    body = {"to": {"email": "ada@example.com"}, "template": "welcome"}
    refused = call(api, "POST", "/send", {"message": body})
    assert refusal(refused) == ("message.template", "no template 'welcome' in this workspace")
    assert pipeline.messages.messages == {}
    stored = call(api, "PUT", "/templates/welcome", {"content": CONTENT})
    assert stored.status == 200, stored.body
    assert call(api, "POST", "/send", {"message": body}).status == 202


def test_metadata_event_is_stored_and_returned_as_courier_s_event() -> None:
    api, pipeline = make()
    call(api, "PUT", "/templates/welcome", {"content": CONTENT})
    given = send(api, to={"email": "ada@example.com"}, metadata={"event": "order-shipped"})
    by_template = call(
        api, "POST", "/send", {"message": {"to": {"email": "b@example.com"}, "template": "welcome"}}
    )
    pipeline.drain()
    one = call(api, "GET", f"/messages/{given.body['requestId']}").body
    assert (one["event"], one["notification"]) == ("order-shipped", "")
    other = call(api, "GET", f"/messages/{by_template.body['requestId']}").body
    assert (other["event"], other["notification"]) == ("welcome", "welcome")
    listed = {m["id"]: m["event"] for m in call(api, "GET", "/messages").body["results"]}
    assert listed == {given.body["requestId"]: "order-shipped", other["id"]: "welcome"}


def stored_phone(pipeline: Pipeline, request_id: str) -> str:
    return str(pipeline.messages.messages[("ws1", request_id)].recipient["phone_number"])


def test_phone_numbers_are_stored_in_e164_national_ones_read_as_in_the_workspace_s_region() -> None:
    api, pipeline = make()
    courier_example = send(api, to={"phone_number": "2025550125"})
    assert stored_phone(pipeline, courier_example.body["requestId"]) == "+12025550125"
    formatted = send(api, to={"phone_number": "+44 20 7946 0958"})
    assert stored_phone(pipeline, formatted.body["requestId"]) == "+442079460958"
    pipeline.workspaces.save_settings("ws1", WorkspaceSettings(phone_region="GB"))
    national = send(api, to={"phone_number": "020 7946 0958"})
    assert stored_phone(pipeline, national.body["requestId"]) == "+442079460958"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("12", "cannot be read as a phone number (national numbers are read as in US)"),
        ("call me", "cannot be read as a phone number (national numbers are read as in US)"),
        ("555-0100", "cannot be read as a phone number (national numbers are read as in US)"),
        ("+1 415 555 0100 ext. 7", "has an extension, which a text message cannot reach"),
        ("+1" + "4" * 63, "is longer than 64 characters"),
    ],
)
def test_a_phone_number_is_refused_only_when_it_cannot_be_read(number: str, reason: str) -> None:
    api, _ = make()
    assert refusal(send(api, to={"phone_number": number})) == ("message.to.phone_number", reason)


def test_the_phone_bound_holds_at_its_limit() -> None:
    padded = "+1 415 555 0100".ljust(64)
    assert e164(padded) == "+14155550100"
    with pytest.raises(ValueError, match="longer than 64"):
        e164(padded + " ")


def test_digits_of_other_scripts_are_stored_as_ascii() -> None:
    arabic_indic = "+" + "".join(chr(0x0660 + int(d)) for d in "14155550100")
    assert e164(arabic_indic) == "+14155550100"


def test_a_template_routes_by_channel_and_leaves_providers_to_the_send() -> None:
    api, _ = make()
    body = {"content": CONTENT, "routing": {"channels": ["direct_message", "sendgrid"]}}
    assert refusal(call(api, "PUT", "/templates/welcome", body)) == (
        "routing",
        "names provider 'sendgrid': a template routes by channel (email); a send pins providers",
    )
    body["routing"] = {"channels": ["direct_message", "email"]}
    assert call(api, "PUT", "/templates/welcome", body).status == 200


def test_delay_until_without_an_offset_is_read_in_delay_timezone() -> None:
    api, pipeline = make()
    tomorrow = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    local = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)
    delay = {"until": local.isoformat(), "timezone": "America/Los_Angeles"}
    sent = send(api, to={"email": "ada@example.com"}, delay=delay)
    assert sent.status == 202, sent.body
    due = pipeline.messages.messages[("ws1", sent.body["requestId"])].not_before_ms
    in_los_angeles = local.replace(tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert due == int(in_los_angeles.timestamp() * 1000)
    # Its own offset wins over the zone.
    own = {"until": local.isoformat() + "+00:00", "timezone": "America/Los_Angeles"}
    sent = send(api, to={"email": "ada@example.com"}, delay=own)
    due = pipeline.messages.messages[("ws1", sent.body["requestId"])].not_before_ms
    assert due == int(local.replace(tzinfo=datetime.UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("delay", "field", "reason"),
    [
        (
            {"until": "2026-12-01T09:00:00"},
            "message.delay.until",
            "must say its time zone, like 2026-12-01T09:00:00Z, or delay.timezone name one",
        ),
        (
            {"until": "2026-12-01T09:00:00Z", "timezone": "Mars/Olympus"},
            "message.delay.timezone",
            "'Mars/Olympus' is not an IANA time zone, like America/Los_Angeles or UTC",
        ),
        (
            {"duration": 1000, "timezone": "../../etc/passwd"},
            "message.delay.timezone",
            "'../../etc/passwd' is not an IANA time zone, like America/Los_Angeles or UTC",
        ),
        (
            {"duration": 1000, "timezone": "A" * 65},
            "message.delay.timezone",
            "String should have at most 64 characters",
        ),
    ],
)
def test_a_delay_s_time_zone_is_checked(delay: dict[str, Any], field: str, reason: str) -> None:
    api, _ = make()
    got = refusal(send(api, to={"email": "ada@example.com"}, delay=delay))
    assert got[0] == field and got[1].startswith(reason)
