"""Conformance: Courier's SDK sends with channels.<channel>.if and .override and
providers.<provider>.override on the local stack; what reaches the mail stand-in is the
overridden content, a false if leaves its channel out, and a provider's credentials
cannot be overridden."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

ENDED = frozenset({"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE", "CANCELED"})


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def ended(client: Courier, message_id: str) -> Any:
    message = client.messages.retrieve(message_id)
    return message if message.status in ENDED else None


def test_overrides_replace_what_the_provider_sends(client: Courier, sinks: Client) -> None:
    address = f"override-{uuid.uuid4().hex[:10]}@example.com"
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "Rendered {{n}}", "body": "Body {{n}}"},
            "data": {"n": 1, "send_mail": True},
            "channels": {
                "email": {
                    "providers": ["smtp"],
                    "if": "data.send_mail",
                    "override": {"subject": "Overridden subject"},
                }
            },
            "providers": {"smtp": {"override": {"body": {"text": "Only for SMTP"}}}},
        }
    )
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert message.status == "SENT"
    [mail] = eventually(
        lambda: [m for m in sinks.get("/mail") if address in m["to"]], what="the mail"
    )
    assert (mail["subject"], mail["text"].strip()) == ("Overridden subject", "Only for SMTP")


def test_a_false_if_leaves_the_channel_out(client: Courier, sinks: Client) -> None:
    address = f"left-out-{uuid.uuid4().hex[:10]}@example.com"
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "T", "body": "B"},
            "data": {"send_mail": False},
            "channels": {"email": {"if": "data.send_mail"}},
        }
    )
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert message.status == "UNROUTABLE"
    assert [m for m in sinks.get("/mail") if address in m["to"]] == []


def test_a_providers_credentials_cannot_be_overridden(client: Courier) -> None:
    with pytest.raises(courier.BadRequestError) as refused:
        client.send.message(
            message={
                "to": {"email": "a@example.com"},
                "content": {"title": "T", "body": "B"},
                "providers": {"sendgrid": {"override": {"config": {"apiKey": "theirs"}}}},
            }
        )
    assert "message.providers.sendgrid.override" in str(refused.value)
