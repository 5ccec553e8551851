"""Provider callbacks and the suppression API through the HTTP layer, on in-memory stores."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.callbacks import sendgrid, twilio
from herald.config import CallbackSettings
from herald.domain.status import MessageStatus, Reason
from herald.ids import hash_api_key
from herald_tools.local.signing import SendGridSigner
from tests.unit.fakes import FakeProvider, Pipeline

KEY = "hk_test_key"
WS = "ws1"
PUBLIC = "https://herald.example.com"
TOKEN = "twilio-auth-token"
SIGNER = SendGridSigner()


def make_api() -> tuple[Api, Pipeline]:
    pipeline = Pipeline(
        extra=[FakeProvider("fake-twilio", "sms")],
        callbacks=CallbackSettings(
            public_url=PUBLIC, sendgrid_public_key=SIGNER.public_key, twilio_auth_token=TOKEN
        ),
    )
    pipeline.keys.put(hash_api_key(KEY), WS)
    return pipeline.api, pipeline


def sent_message(pipeline: Pipeline, to: dict[str, str]) -> str:
    body = {"message": {"to": to, "content": {"title": "Hi", "body": "B"}}}
    message_id = pipeline.sending.send(WS, body)
    pipeline.drain()
    return message_id


def sendgrid_post(
    api: Api,
    events: list[dict[str, Any]],
    workspace: str = WS,
    timestamp: str | None = None,
    signature: str | None = None,
    body: bytes | None = None,
) -> HttpResponse:
    raw = body if body is not None else json.dumps(events).encode()
    stamp = timestamp or str(int(time.time()))
    headers = {
        sendgrid.TIMESTAMP_HEADER: stamp,
        sendgrid.SIGNATURE_HEADER: signature or SIGNER.sign(stamp, raw),
        "content-type": "application/json",
    }
    return api.handle(HttpRequest("POST", f"/callbacks/sendgrid/{workspace}", headers, raw))


def event(message_id: str, kind: str, event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": "ada@example.com",
        "timestamp": int(time.time()),
        "event": kind,
        "sg_event_id": event_id,
        "sg_message_id": "sg-1.filter",
        "herald_workspace": WS,
        "herald_message_id": message_id,
        "herald_attempt": f"{message_id}-email",
        **extra,
    }


def twilio_post(
    api: Api, path: str, params: dict[str, str], signature: str | None = None
) -> HttpResponse:
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        twilio.SIGNATURE_HEADER: signature or twilio.signature(TOKEN, PUBLIC + path, params),
    }
    body = urllib.parse.urlencode(params).encode()
    return api.handle(HttpRequest("POST", path, headers, body))


def status(api: Api, pipeline: Pipeline, message_id: str) -> tuple[str, str | None]:
    message = pipeline.messages.get_message(WS, message_id)
    assert message is not None
    return message.status.value, message.reason


def test_a_signed_sendgrid_batch_is_applied_once_and_a_replay_is_refused() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": "ada@example.com"})
    batch = [
        event(mid, "processed", "ev-0"),
        event(mid, "delivered", "ev-1"),
        event(mid, "open", "ev-2"),
    ]
    raw = json.dumps(batch).encode()
    stamp = str(int(time.time()))
    signature = SIGNER.sign(stamp, raw)
    answer = sendgrid_post(api, batch, timestamp=stamp, signature=signature)
    assert (answer.status, answer.body) == (200, {"received": 3, "applied": 2})
    assert status(api, pipeline, mid) == ("OPENED", None)
    view = api.handle(HttpRequest("GET", f"/messages/{mid}", {"Authorization": f"Bearer {KEY}"}))
    assert view.body["opened"] == batch[2]["timestamp"] * 1000 and view.body["clicked"] is None

    replay = sendgrid_post(api, batch, timestamp=stamp, signature=signature)
    assert replay.status == 403 and "taken before" in replay.body["message"]
    # The same events in another (fresh) batch: taken, and each applied once only.
    again = sendgrid_post(api, list(reversed(batch)))
    assert (again.status, again.body) == (200, {"received": 3, "applied": 0})
    history = [e.type for e in pipeline.messages.history(WS, mid)]
    assert history.count("message.delivered") == 1 and history.count("message.opened") == 1


def test_unsigned_badly_signed_and_stale_sendgrid_posts_are_refused() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": "ada@example.com"})
    batch = [event(mid, "delivered", "ev-1")]
    raw = json.dumps(batch).encode()
    unsigned = api.handle(HttpRequest("POST", f"/callbacks/sendgrid/{WS}", {}, raw))
    assert unsigned.status == 401
    stamp = str(int(time.time()))
    tampered = sendgrid_post(
        api, batch, timestamp=stamp, signature=SIGNER.sign(stamp, raw), body=raw + b" "
    )
    assert tampered.status == 403
    other = SendGridSigner()
    forged = sendgrid_post(api, batch, timestamp=stamp, signature=other.sign(stamp, raw))
    assert forged.status == 403
    old = str(int(time.time()) - 3600)
    assert sendgrid_post(api, batch, timestamp=old).status == 403
    assert status(api, pipeline, mid) == ("SENT", None)  # nothing refused was applied


def test_a_sendgrid_event_for_another_workspace_or_unknown_mail_changes_nothing() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": "ada@example.com"})
    foreign = [event(mid, "delivered", "ev-1", herald_workspace="ws2")]
    assert sendgrid_post(api, foreign).body == {"received": 1, "applied": 0}
    not_herald = [{"event": "delivered", "sg_event_id": "x", "timestamp": 1}]
    assert sendgrid_post(api, not_herald).body == {"received": 1, "applied": 0}
    assert status(api, pipeline, mid) == ("SENT", None)


def test_a_malformed_sendgrid_body_is_a_400_naming_the_field() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": "ada@example.com"})
    answer = sendgrid_post(api, [event(mid, "delivered", "ev-1", timestamp="yesterday")])
    assert answer.status == 400
    assert answer.body["errors"] == [{"field": "[0].timestamp", "reason": "must be Unix seconds"}]
    assert sendgrid_post(api, [], body=b'{"event": "delivered"}').status == 400


def test_a_sendgrid_bounce_suppresses_the_address_and_the_suppression_api_reads_and_lifts_it() -> (
    None
):
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": "Ada@example.com"})
    bounce = event(mid, "bounce", "ev-b", type="bounce", reason="550 5.1.1 unknown user")
    assert sendgrid_post(api, [bounce]).body == {"received": 1, "applied": 1}
    assert status(api, pipeline, mid) == ("UNDELIVERABLE", Reason.BOUNCED)

    auth = {"Authorization": f"Bearer {KEY}"}
    listed = api.handle(HttpRequest("GET", "/suppressions", auth))
    [entry] = listed.body["items"]
    assert entry["address"] == "ada@example.com" and entry["reason"] == "BOUNCED"
    assert entry["source"] == "sendgrid" and entry["message_id"] == mid
    one = api.handle(HttpRequest("GET", "/suppressions/ADA@example.com", auth))
    assert one.status == 200 and one.body == entry

    blocked = sent_message(pipeline, {"email": "ada@example.com"})
    assert status(api, pipeline, blocked) == ("UNDELIVERABLE", Reason.BOUNCED)
    assert api.handle(HttpRequest("DELETE", "/suppressions/ada@example.com", auth)).status == 204
    assert api.handle(HttpRequest("GET", "/suppressions/ada@example.com", auth)).status == 404
    assert api.handle(HttpRequest("DELETE", "/suppressions/ada@example.com", auth)).status == 404
    again = sent_message(pipeline, {"email": "ada@example.com"})
    assert status(api, pipeline, again) == ("SENT", None)
    bad = api.handle(HttpRequest("GET", "/suppressions/nobody", auth))
    assert bad.status == 400 and bad.body["errors"][0]["field"] == "address"
    assert api.handle(HttpRequest("GET", "/suppressions", {})).status == 401


def test_twilio_status_callbacks_are_verified_on_the_public_url_and_applied() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"phone_number": "+15005550006"})
    path = f"/callbacks/twilio/{WS}/status/{mid}"
    sent = {"MessageSid": "SM1", "MessageStatus": "sent", "To": "+15005550006"}
    assert twilio_post(api, path, sent).status == 200
    delivered = {**sent, "MessageStatus": "delivered"}
    answer = twilio_post(api, path, delivered)
    assert answer.status == 200 and answer.raw == twilio.EMPTY_TWIML
    assert status(api, pipeline, mid) == ("DELIVERED", None)
    assert twilio_post(api, path, delivered).status == 403  # the same request again

    # Signed for another message (the URL is signed): refused.
    other_path = f"/callbacks/twilio/{WS}/status/other"
    moved = twilio_post(
        api, other_path, delivered, twilio.signature(TOKEN, PUBLIC + path, {**delivered, "X": ""})
    )
    assert moved.status == 403
    unsigned = api.handle(HttpRequest("POST", path, {}, b"MessageSid=SM1"))
    assert unsigned.status == 401


def test_twilio_undelivered_to_an_unknown_number_ends_the_message_and_suppresses_it() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"phone_number": "+15005550006"})
    failed = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30005"}
    assert twilio_post(api, f"/callbacks/twilio/{WS}/status/{mid}", failed).status == 200
    assert status(api, pipeline, mid) == ("UNDELIVERABLE", Reason.BOUNCED)
    assert pipeline.suppressions.find(WS, "+15005550006") is not None


def test_sms_stop_opts_the_number_out_and_start_back_in() -> None:
    api, pipeline = make_api()
    path = f"/callbacks/twilio/{WS}/inbound"
    stop = {"MessageSid": "SM-in-1", "From": "+15005550006", "To": "+15005550001", "Body": "Stop"}
    answer = twilio_post(api, path, stop)
    assert answer.status == 200 and answer.headers["content-type"] == "text/xml"
    entry = pipeline.suppressions.find(WS, "+15005550006")
    assert entry is not None and entry.reason == "UNSUBSCRIBED"
    opted_out = sent_message(pipeline, {"phone_number": "+15005550006"})
    assert status(api, pipeline, opted_out) == ("UNDELIVERABLE", Reason.UNSUBSCRIBED)

    start = {**stop, "MessageSid": "SM-in-2", "Body": "START"}
    assert twilio_post(api, path, start).status == 200
    assert pipeline.suppressions.find(WS, "+15005550006") is None
    back = sent_message(pipeline, {"phone_number": "+15005550006"})
    assert status(api, pipeline, back) == (MessageStatus.SENT.value, None)
    forged = twilio_post(api, path, {**stop, "MessageSid": "SM-in-3"}, signature="AAAA")
    assert forged.status == 403
    assert pipeline.suppressions.find(WS, "+15005550006") is None


def test_callbacks_without_configured_secrets_are_404() -> None:
    api = Pipeline().api
    assert api.handle(HttpRequest("POST", f"/callbacks/sendgrid/{WS}", {}, b"[]")).status == 404
    assert api.handle(HttpRequest("POST", f"/callbacks/twilio/{WS}/inbound", {}, b"")).status == 404
