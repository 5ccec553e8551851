"""Test keys: a test key's send runs the whole pipeline into the recording sink, never
a provider, and test and live data never mix."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from herald.api.http import HttpRequest, HttpResponse
from herald.domain.status import MessageStatus
from herald.providers.base import Dispatch
from herald.resources.audit_events import AuditLog
from herald.resources.keys import create_key
from herald.resources.test_outbox import RecordedOutbox
from herald.store.inbox import InboxEntries
from herald_tools.ops.keys import key_table
from tests.unit.fakes import FakeProvider, Pipeline

SEND = {
    "message": {
        "to": {"email": "ada@example.com"},
        "content": {"title": "Your code", "body": "It is {{code}}"},
        "data": {"code": "4711"},
    }
}


def call(p: Pipeline, key: str, method: str, path: str, body: Any = None) -> HttpResponse:
    payload = json.dumps(body).encode() if body is not None else b""
    return p.api.handle(HttpRequest(method, path, {"Authorization": f"Bearer {key}"}, payload))


def keys(p: Pipeline) -> tuple[str, str]:
    """A live key and a test key of workspace ws1."""
    audit = AuditLog(p.documents)
    live, _ = create_key(p.keys, audit, "ws1")
    test, _ = create_key(p.keys, audit, "ws1", test=True)
    return live, test


def sent(p: Pipeline, key: str, body: dict[str, Any] = SEND) -> str:
    """The id of the message the send made, once the pipeline has run."""
    accepted = call(p, key, "POST", "/send", body)
    assert accepted.status == 202, accepted.body
    p.drain()
    request = call(p, key, "GET", f"/requests/{accepted.body['requestId']}")
    assert request.status == 200, request.body
    (message,) = request.body["messages"]
    return str(message["id"])


def test_a_test_key_is_marked_and_listed_with_its_workspace() -> None:
    p = Pipeline()
    live, test = keys(p)
    assert live.startswith("hk_") and not live.startswith("hk_test_")
    assert test.startswith("hk_test_")
    records = p.keys.list("ws1") + p.keys.list("ws1~test")
    table = key_table(records)
    assert [line.split()[3] for line in table.splitlines()[1:]] == ["live", "test"]
    assert [line.split()[2] for line in table.splitlines()[1:]] == ["ws1", "ws1"]
    assert test not in table and test[: len("hk_test_") + 5] not in table


def test_no_key_opens_a_name_that_marks_a_test_namespace() -> None:
    p = Pipeline()
    with pytest.raises(ValueError, match="may not contain '~'"):
        create_key(p.keys, AuditLog(p.documents), "ws1~test")


def test_a_test_send_ends_sent_through_the_recording_sink_and_no_provider() -> None:
    p = Pipeline()
    _, test = keys(p)
    message_id = sent(p, test)
    assert p.email.calls == 0 and p.email.sent == []
    message = call(p, test, "GET", f"/messages/{message_id}")
    assert message.body["status"] == MessageStatus.SENT
    recorded = call(p, test, "GET", f"/test-outbox/{message_id}")
    assert recorded.status == 200, recorded.body
    (delivery,) = recorded.body["deliveries"]
    assert delivery["channel"] == "email"
    assert delivery["provider"] == "fake-smtp"  # the provider delivery chose, not called
    assert delivery["recipient"]["email"] == "ada@example.com"
    assert "It is 4711" in json.dumps(delivery["content"])
    output = call(p, test, "GET", f"/messages/{message_id}/output")
    assert output.status == 200 and "It is 4711" in json.dumps(output.body)
    page = call(p, test, "GET", "/test-outbox")
    assert [m["messageId"] for m in page.body["results"]] == [message_id]
    assert page.body["paging"] == {"cursor": None, "more": False}


def test_an_attempt_retried_after_its_record_is_recorded_once() -> None:
    p = Pipeline()
    outbox = RecordedOutbox(p.documents)
    dispatch = Dispatch(
        "m1", "m1-email-smtp", {"email": "a@x.io"}, {"title": "T"}, workspace="ws1~test"
    )
    outbox.record(dispatch, "email", "smtp")
    outbox.record(replace(dispatch, rendered={"title": "again"}), "email", "smtp")
    outbox.record(dispatch, "email", "sendgrid")  # the next provider of the chain
    recorded = outbox.get("ws1~test", "m1")["deliveries"]
    assert [(d["provider"], d["content"]["title"]) for d in recorded] == [
        ("sendgrid", "T"),
        ("smtp", "T"),
    ]


def test_a_live_send_still_reaches_its_provider_and_records_nothing() -> None:
    p = Pipeline()
    live, test = keys(p)
    message_id = sent(p, live)
    assert len(p.email.sent) == 1
    assert call(p, live, "GET", "/test-outbox").status == 404
    assert call(p, test, "GET", f"/test-outbox/{message_id}").status == 404


def test_test_and_live_keys_never_read_each_others_data() -> None:
    p = Pipeline()
    live, test = keys(p)
    live_id, test_id = sent(p, live), sent(p, test)
    for key, own, other in ((live, live_id, test_id), (test, test_id, live_id)):
        assert call(p, key, "GET", f"/messages/{own}").status == 200
        assert call(p, key, "GET", f"/messages/{other}").status == 404
        assert call(p, key, "GET", f"/messages/{other}/output").status == 404
        listed = [m["id"] for m in call(p, key, "GET", "/messages").body["results"]]
        assert listed == [own]
    # A profile put with one key is not the other's.
    assert call(p, test, "PUT", "/profiles/ada", {"profile": {"email": "a@x.io"}}).status == 200
    assert call(p, test, "GET", "/profiles/ada").status == 200
    assert call(p, live, "GET", "/profiles/ada").status == 404


def test_a_test_send_honours_the_providers_the_send_orders() -> None:
    p = Pipeline(email=FakeProvider("smtp", "email"), extra=[FakeProvider("sendgrid", "email")])
    _, test = keys(p)
    body = {"message": {**SEND["message"], "channels": {"email": {"providers": ["sendgrid"]}}}}
    message_id = sent(p, test, body)
    (delivery,) = call(p, test, "GET", f"/test-outbox/{message_id}").body["deliveries"]
    assert delivery["provider"] == "sendgrid"
    assert p.extra[0].calls == 0 and p.email.calls == 0


def test_a_test_send_to_the_inbox_is_in_the_test_namespaces_inbox_only() -> None:
    p = Pipeline()
    _, test = keys(p)
    body = {
        "message": {
            "to": {"user_id": "ada"},
            "content": {"title": "T", "body": "B"},
            "routing": {"method": "single", "channels": ["inbox"]},
        }
    }
    message_id = sent(p, test, body)
    assert call(p, test, "GET", f"/messages/{message_id}").body["status"] == "DELIVERED"
    entries = InboxEntries(p.documents)
    assert [e["message_id"] for _, e in entries.newest("ws1~test", "ada")] == [message_id]
    assert entries.newest("ws1", "ada") == []
    assert call(p, test, "GET", f"/test-outbox/{message_id}").status == 404


def test_a_record_expires_thirty_days_after_it_was_made() -> None:
    p = Pipeline()
    outbox = RecordedOutbox(p.documents)
    dispatch = Dispatch(
        "m1", "m1-email-smtp", {"email": "a@x.io"}, {"title": "T"}, workspace="ws1~test"
    )
    outbox.record(dispatch, "email", "smtp")
    stored = p.documents.get("ws1~test", ("test_outbox", "m1"))
    assert stored is not None
    recorded_ms = stored["deliveries"]["email-smtp"]["recorded_ms"]
    assert stored["expires_at"].timestamp() * 1000 == recorded_ms + 30 * 24 * 3600 * 1000
