"""SMS, push and chat through the real adapters, against the sinks' Twilio, FCM and Slack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended

pytestmark = pytest.mark.e2e


def caught(sinks: Client, kind: str, match: str) -> list[dict[str, Any]]:
    return [item for item in sinks.get(f"/{kind}") if match in str(item["body"])]


def header(item: dict[str, Any], name: str) -> str:
    return str(next(v for k, v in item["headers"].items() if k.lower() == name))


def test_one_message_on_every_channel_with_routing_all(api: Client, sinks: Client) -> None:
    request_id = api.send(
        {
            "to": {
                "phone_number": "+14155550123",
                "firebaseToken": "device-token-e2e",
                "slack": {"incoming_webhook": {"url": f"{sinks.base_url}/slack/T1/B1/e2e"}},
            },
            "content": {"title": "Order {{id}}", "body": "is on its way"},
            "data": {"id": "A-77"},
            "routing": {"method": "all", "channels": ["sms", "push", "chat"]},
        }
    )
    message = eventually(lambda: ended(api, request_id), what="an end state")
    assert message["status"] == "SENT"
    assert sorted(p["provider"] for p in message["providers"]) == ["fcm", "slack", "twilio"]

    [sms] = caught(sinks, "sms", "+14155550123")
    assert sms["body"]["Body"] == "Order A-77\nis on its way"
    assert header(sms, "authorization").startswith("Basic ")
    [push] = caught(sinks, "push", "device-token-e2e")
    assert push["body"]["message"]["notification"] == {
        "title": "Order A-77",
        "body": "is on its way",
    }
    assert header(push, "authorization") == "Bearer local-token"
    [chat] = [c for c in sinks.get("/chat") if c["path"] == "/slack/T1/B1/e2e"]
    assert chat["body"] == {"text": "*Order A-77*\nis on its way"}
