"""Provider callbacks end to end: the stand-ins call back, signed as SendGrid and Twilio do.

From a send through SENT to DELIVERED by a signed callback, a bounce that
suppresses the next send before any provider is called, and SMS STOP / START.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from google.cloud import firestore

from herald.ids import hash_api_key
from herald.store.base import WorkspaceSettings
from herald.store.firestore import FirestoreKeys, FirestoreWorkspaces
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended

pytestmark = pytest.mark.e2e

MAIL_WORKSPACE = "feedback-e2e"


@pytest.fixture(scope="module")
def mail_api(stack: Stack) -> Client:
    """A workspace of its own whose email goes through SendGrid (the stand-in)."""
    client = firestore.Client(project=stack.emulators.project)
    key = "hk_feedback_" + secrets.token_urlsafe(16)
    FirestoreKeys(client).put(hash_api_key(key), MAIL_WORKSPACE)
    FirestoreWorkspaces(client).save_settings(
        MAIL_WORKSPACE, WorkspaceSettings(providers={"email": ["sendgrid"]})
    )
    return Client(stack.base_url, key)


def status_of(api: Client, message_id: str, wanted: str) -> dict[str, Any] | None:
    message: dict[str, Any] = api.get(f"/messages/{message_id}")
    return message if message["status"] == wanted else None


def sent_through_sendgrid(sinks: Client, message_id: str) -> list[dict[str, Any]]:
    return [
        mail
        for mail in sinks.get("/sendgrid")
        if mail["body"]["custom_args"]["herald_message_id"] == message_id
    ]


def mails_to(sinks: Client, address: str) -> int:
    return sum(
        1
        for m in sinks.get("/sendgrid")
        if m["body"]["personalizations"][0]["to"][0]["email"] == address
    )


def history_types(api: Client, message_id: str) -> list[str]:
    return [e["type"] for e in api.get(f"/messages/{message_id}/history")["results"]]


def test_a_signed_delivery_receipt_moves_a_sent_mail_to_delivered(
    mail_api: Client, sinks: Client
) -> None:
    message_id = mail_api.send({"to": {"email": "grace@example.com"}, "content": {"body": "Hi"}})
    sent = eventually(lambda: ended(mail_api, message_id), what="an end state")
    assert sent["status"] == "SENT"
    [mail] = sent_through_sendgrid(sinks, message_id)
    assert mail["body"]["custom_args"]["herald_workspace"] == MAIL_WORKSPACE

    status, answer = sinks.request(
        "POST", "/callbacks/sendgrid", {"id": mail["id"], "event": "delivered"}
    )
    assert (status, answer) == (200, {"received": 1, "applied": 1})
    delivered = eventually(lambda: status_of(mail_api, message_id, "DELIVERED"), what="DELIVERED")
    assert delivered["delivered"] is not None
    assert history_types(mail_api, message_id)[-2:] == ["SENT", "DELIVERED"]

    status, answer = sinks.request(
        "POST", "/callbacks/sendgrid", {"id": mail["id"], "event": "open"}
    )
    assert (status, answer) == (200, {"received": 1, "applied": 1})
    eventually(lambda: status_of(mail_api, message_id, "OPENED"), what="OPENED")


def test_a_bounce_suppresses_the_next_send_before_any_provider_is_called(
    mail_api: Client, sinks: Client
) -> None:
    address = f"gone-{secrets.token_hex(4)}@example.com"
    first = mail_api.send({"to": {"email": address}, "content": {"body": "Hi"}})
    eventually(lambda: status_of(mail_api, first, "SENT"), what="SENT")
    [mail] = sent_through_sendgrid(sinks, first)
    order = {
        "id": mail["id"],
        "event": "bounce",
        "type": "bounce",
        "reason": "550 5.1.1 no such user",
    }
    assert sinks.request("POST", "/callbacks/sendgrid", order)[0] == 200
    bounced = eventually(lambda: status_of(mail_api, first, "UNDELIVERABLE"), what="bounced")
    assert bounced["reason"] == "BOUNCED"
    suppressed = mail_api.get(f"/suppressions/{address}")
    assert (suppressed["reason"], suppressed["source"]) == ("BOUNCED", "sendgrid")

    second = mail_api.send({"to": {"email": address.upper()}, "content": {"body": "Again"}})
    ended_second = eventually(lambda: ended(mail_api, second), what="an end state")
    assert (ended_second["status"], ended_second["reason"]) == ("UNDELIVERABLE", "BOUNCED")
    assert mails_to(sinks, address) == 1  # the provider never saw the second

    assert mail_api.request("DELETE", f"/suppressions/{address}")[0] == 204
    third = mail_api.send({"to": {"email": address}, "content": {"body": "Lifted"}})
    assert eventually(lambda: ended(mail_api, third), what="an end state")["status"] == "SENT"


def test_a_forged_callback_is_refused(mail_api: Client, stack: Stack) -> None:
    forged = Client(stack.base_url, None)
    status, _ = forged.request(
        "POST",
        f"/callbacks/sendgrid/{MAIL_WORKSPACE}",
        raw=b'[{"event": "delivered"}]',
        key=None,
        headers={
            "X-Twilio-Email-Event-Webhook-Timestamp": "1700000000",
            "X-Twilio-Email-Event-Webhook-Signature": "MEUCIQ==",
        },
    )
    assert status == 403


def test_a_twilio_status_callback_delivers_an_sms_and_stop_start_opt_out_and_in(
    api: Client, sinks: Client
) -> None:
    phone = f"+1415555{secrets.randbelow(10_000):04d}"
    message_id = api.send({"to": {"phone_number": phone}, "content": {"body": "Code 1"}})
    eventually(lambda: status_of(api, message_id, "SENT"), what="SENT")
    [sms] = [s for s in sinks.get("/sms") if s["body"]["To"] == phone]
    assert sms["body"]["StatusCallback"].endswith(f"/callbacks/twilio/local/status/{message_id}")
    status, _ = sinks.request("POST", "/callbacks/twilio", {"id": sms["id"], "status": "delivered"})
    assert status == 200
    eventually(lambda: status_of(api, message_id, "DELIVERED"), what="DELIVERED")

    assert (
        sinks.request("POST", "/callbacks/twilio/inbound", {"from": phone, "body": "STOP"})[0]
        == 200
    )
    assert api.get(f"/suppressions/{phone}")["reason"] == "UNSUBSCRIBED"
    stopped = api.send({"to": {"phone_number": phone}, "content": {"body": "Code 2"}})
    ended_stopped = eventually(lambda: ended(api, stopped), what="an end state")
    assert (ended_stopped["status"], ended_stopped["reason"]) == ("UNDELIVERABLE", "UNSUBSCRIBED")

    assert (
        sinks.request("POST", "/callbacks/twilio/inbound", {"from": phone, "body": "START"})[0]
        == 200
    )
    back = api.send({"to": {"phone_number": phone}, "content": {"body": "Code 3"}})
    assert eventually(lambda: ended(api, back), what="an end state")["status"] == "SENT"
    assert [s["body"]["Body"] for s in sinks.get("/sms") if s["body"]["To"] == phone] == [
        "Code 1",
        "Code 3",
    ]
