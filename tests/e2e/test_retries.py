"""Provider failures are retried through the durable timer, not through Pub/Sub."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from herald_tools.local.sinks import Fault
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended

pytestmark = pytest.mark.e2e


def scheduled_retries(stack: Stack, message_id: str) -> list[dict[str, Any]]:
    lines = (stack.log_dir / "deliver.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [
        r
        for r in records
        if r.get("message") == "delivery retry scheduled" and r.get("message_id") == message_id
    ]


def sms_to(sinks: Client, number: str) -> list[dict[str, Any]]:
    return [s for s in sinks.get("/sms") if s["body"].get("To") == number]


def test_a_failing_provider_is_retried_on_the_timer_until_it_takes_the_message(
    stack: Stack, api: Client, sinks: Client
) -> None:
    number = f"+1415{uuid.uuid4().int % 10**7:07d}"
    stack.sinks.inbox.faults["sms"].script += [Fault(status=503), Fault(status=503)]
    request_id = api.send({"to": {"phone_number": number}, "content": {"body": "retry me"}})

    message = eventually(lambda: ended(api, request_id), timeout_s=60, what="the retries")
    assert message["status"] == "SENT"
    assert len(sms_to(sinks, number)) == 1
    retries = scheduled_retries(stack, request_id)
    # A loaded machine may add a retry of its own (an attempt past its deadline); the
    # provider's two refusals are each retried exactly once.
    refused = [r for r in retries if "503" in r["error"]]
    assert len(refused) == 2, retries
    assert len(retries) - len(refused) <= 1, retries


def test_retry_after_from_the_provider_is_honoured(
    stack: Stack, api: Client, sinks: Client
) -> None:
    number = f"+1415{uuid.uuid4().int % 10**7:07d}"
    stack.sinks.inbox.faults["sms"].script.append(Fault(status=429, retry_after=3))
    request_id = api.send({"to": {"phone_number": number}, "content": {"body": "slow down"}})

    message = eventually(lambda: ended(api, request_id), timeout_s=60, what="the retry")
    assert message["status"] == "SENT"
    [retry] = scheduled_retries(stack, request_id)
    assert retry["wait_ms"] >= 3000  # longer than the 1-2 s backoff: the provider's word
    assert len(sms_to(sinks, number)) == 1


def test_a_delayed_send_waits_then_goes_out(api: Client, sinks: Client) -> None:
    address = f"later-{uuid.uuid4().hex[:8]}@example.com"
    request_id = api.send(
        {"to": {"email": address}, "content": {"body": "later"}, "delay": {"duration": 2000}}
    )
    eventually(lambda: api.get(f"/messages/{request_id}")["status"] == "DELAYED", what="DELAYED")
    assert [m for m in sinks.get("/mail") if address in m["to"]] == []

    message = eventually(lambda: ended(api, request_id), timeout_s=30, what="the delayed send")
    assert message["status"] == "SENT"
    assert message["sent"] - message["enqueued"] >= 2000
    history = [h["type"] for h in api.get(f"/messages/{request_id}/history")["results"]]
    assert history == ["ENQUEUED", "DELAYED", "ROUTED", "RENDERED", "SENT"]
