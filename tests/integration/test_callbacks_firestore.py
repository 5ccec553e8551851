"""Provider callbacks through the API on the Firestore emulator: messages, receipts, the
suppression list and the replay records all in Firestore, as in the cloud."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from google.cloud import firestore

from herald.api.http import HttpRequest
from herald.bootstrap import FirestoreAdapters, build
from herald.callbacks import sendgrid, twilio
from herald.domain.message import ChannelOutcome, DeliveryResult, MessageState, RequestRecord
from herald.domain.status import MessageStatus
from herald.resources.suppressions import SuppressionList
from herald.store.firestore import FirestoreMessages
from herald.store.firestore_documents import FirestoreDocuments
from herald_tools.local.emulators import Emulators
from herald_tools.local.signing import SendGridSigner

pytestmark = pytest.mark.integration

PUBLIC = "https://herald.example.com"
TOKEN = "twilio-token"
SIGNER = SendGridSigner()


def sent(messages: FirestoreMessages, workspace: str, message_id: str, to: dict[str, str]) -> None:
    """A message as deliver leaves it: SENT through one channel."""
    channel = "email" if "email" in to else "sms"
    state = MessageState(
        id=message_id,
        workspace=workspace,
        request_id=message_id,
        status=MessageStatus.SENT,
        recipient=to,
        content={"body": "B"},
        enqueued_ms=1,
        sent_ms=2,
        results=[
            DeliveryResult(channel=channel, provider="x", outcome=ChannelOutcome.SENT, at_ms=2)
        ],
    )
    messages.create_request(
        RequestRecord(id=message_id, workspace=workspace, message_ids=[message_id], received_ms=1),
        [(state, [])],
    )


def test_sendgrid_events_and_twilio_replies_land_in_firestore(
    emulators: Emulators, workspace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERALD_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("HERALD_SENDGRID_WEBHOOK_PUBLIC_KEY", SIGNER.public_key)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    client = firestore.Client(project=emulators.project)
    messages = FirestoreMessages(client)
    api = build(FirestoreAdapters(client=client)).api
    sent(messages, workspace, "m1", {"email": "ada@example.com"})

    events = [
        {
            "email": "ada@example.com",
            "timestamp": int(time.time()),
            "event": kind,
            "sg_event_id": f"ev/{kind}==",  # not a safe document id: hashed for the receipt
            **({"type": "bounce"} if kind == "bounce" else {}),
            "herald_workspace": workspace,
            "herald_message_id": "m1",
        }
        for kind in ("delivered", "bounce", "spamreport")
    ]
    body = json.dumps(events).encode()
    stamp = str(int(time.time()))
    headers = {
        sendgrid.TIMESTAMP_HEADER: stamp,
        sendgrid.SIGNATURE_HEADER: SIGNER.sign(stamp, body),
    }
    path = f"/callbacks/sendgrid/{workspace}"
    answer = api.handle(HttpRequest("POST", path, headers, body))
    # Delivered, then a late bounce (noted, the address still suppressed), then a complaint.
    assert (answer.status, answer.body) == (200, {"received": 3, "applied": 2})
    assert api.handle(HttpRequest("POST", path, headers, body)).status == 403  # replayed
    # The same events in a request SendGrid signed anew: taken, and none applied twice.
    later = str(int(stamp) + 1)
    resent = {sendgrid.TIMESTAMP_HEADER: later, sendgrid.SIGNATURE_HEADER: SIGNER.sign(later, body)}
    again = api.handle(HttpRequest("POST", path, resent, body))
    assert (again.status, again.body) == (200, {"received": 3, "applied": 0})
    message = messages.get_message(workspace, "m1")
    assert message is not None and message.status == MessageStatus.DELIVERED
    types = [e.type for e in messages.history(workspace, "m1")]
    assert types == ["message.delivered", "message.complained"]
    assert [i.event_type for i in messages.ignored(workspace, "m1")] == ["message.undeliverable"]
    entry = SuppressionList(FirestoreDocuments(client)).find(workspace, "ADA@example.com")
    assert entry is not None and entry.reason == "BOUNCED"  # the first report stays

    inbound = f"/callbacks/twilio/{workspace}/inbound"
    params = {"MessageSid": "SMin", "From": "+15005550006", "Body": "stop"}
    signed = {twilio.SIGNATURE_HEADER: twilio.signature(TOKEN, PUBLIC + inbound, params)}
    form = urllib.parse.urlencode(params).encode()
    assert api.handle(HttpRequest("POST", inbound, signed, form)).status == 200
    stopped = SuppressionList(FirestoreDocuments(client)).find(workspace, "+15005550006")
    assert stopped is not None and stopped.reason == "UNSUBSCRIBED"
    # Remembered by its MessageSid, for 90 days (the record's TTL field says until when).
    assert api.handle(HttpRequest("POST", inbound, signed, form)).status == 403
    records = list(client.collection("workspaces", workspace, "callbacks").stream())
    kept_days = sorted(
        round((r.get("expires_ms") - time.time() * 1000) / 86_400_000) for r in records
    )
    assert kept_days == [7, 7, 7, 7, 7, 90]  # two SendGrid requests, three events; the reply
