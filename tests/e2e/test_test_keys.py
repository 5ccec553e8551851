"""Test keys on the local stack: a test key's send runs the whole pipeline and ends SENT
through the recording sink, nothing reaches the providers' stand-ins, and test and
live keys never read each other's messages. Courier's SDK works with a test key."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier

from herald.resources.audit_events import AuditLog
from herald.resources.keys import create_key
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

ENDED = frozenset({"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE", "CANCELED"})


@pytest.fixture(scope="module")
def keys(stack: Stack) -> tuple[str, str]:
    """A live key and a test key of a workspace of this module's own."""
    adapters = stack.adapters()
    audit, workspace = AuditLog(adapters.documents), f"e2e-{secrets.token_hex(6)}"
    live, _ = create_key(adapters.keys, audit, workspace)
    test, _ = create_key(adapters.keys, audit, workspace, test=True)
    return live, test


@pytest.fixture(scope="module")
def test_key_client(stack: Stack, keys: tuple[str, str]) -> Iterator[Courier]:
    with Courier(
        api_key=keys[1], base_url=stack.base_url, max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def live_client(stack: Stack, keys: tuple[str, str]) -> Iterator[Courier]:
    with Courier(
        api_key=keys[0], base_url=stack.base_url, max_retries=0, _strict_response_validation=True
    ) as sdk:
        yield sdk


def ended(client: Courier, message_id: str) -> Any:
    message = client.messages.retrieve(message_id)
    return message if message.status in ENDED else None


def test_a_test_keys_send_is_recorded_and_reaches_no_provider(
    stack: Stack, keys: tuple[str, str], test_key_client: Courier, sinks: Client
) -> None:
    address = f"test-{uuid.uuid4().hex[:10]}@example.com"
    sent = test_key_client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "Code {{code}}", "body": "Your code is {{code}}"},
            "data": {"code": "4711"},
        }
    )
    message = eventually(lambda: ended(test_key_client, sent.request_id), what="an end state")
    assert message.status == "SENT"
    # The provider would have been called before SENT was written: nothing came.
    assert [m for m in sinks.get("/mail") if address in m["to"]] == []
    assert address not in str(sinks.get("/sendgrid"))
    assert "Code 4711" in str(test_key_client.messages.content(sent.request_id))
    listed = test_key_client.messages.list(message_id=sent.request_id).results
    assert [m.id for m in listed] == [sent.request_id]

    outbox = Client(stack.base_url, keys[1])
    recorded = outbox.get(f"/test-outbox/{sent.request_id}")
    [delivery] = recorded["deliveries"]
    assert (delivery["channel"], delivery["recipient"]["email"]) == ("email", address)
    assert delivery["provider"] in ("smtp", "sendgrid")  # the one delivery chose
    assert "Your code is 4711" in str(delivery["content"])
    assert sent.request_id in [m["messageId"] for m in outbox.get("/test-outbox")["results"]]


def test_test_and_live_keys_never_read_each_others_messages(
    stack: Stack,
    keys: tuple[str, str],
    test_key_client: Courier,
    live_client: Courier,
    sinks: Client,
) -> None:
    live_address = f"live-{uuid.uuid4().hex[:10]}@example.com"
    live = live_client.send.message(
        message={"to": {"email": live_address}, "content": {"title": "T", "body": "B"}}
    )
    test = test_key_client.send.message(
        message={"to": {"email": "t@example.com"}, "content": {"title": "T", "body": "B"}}
    )
    eventually(lambda: ended(live_client, live.request_id), what="the live send's end")
    eventually(lambda: ended(test_key_client, test.request_id), what="the test send's end")
    # The live key's send reached its provider's stand-in, as ever.
    eventually(
        lambda: [m for m in sinks.get("/mail") if live_address in m["to"]], what="the live mail"
    )
    for client, own, other in (
        (live_client, live.request_id, test.request_id),
        (test_key_client, test.request_id, live.request_id),
    ):
        with pytest.raises(courier.NotFoundError):
            client.messages.retrieve(other)
        listed = [m.id for m in client.messages.list().results]
        assert own in listed and other not in listed
    status, _ = Client(stack.base_url, keys[0]).request("GET", "/test-outbox")
    assert status == 404
    status, _ = Client(stack.base_url, keys[1]).request("GET", f"/test-outbox/{live.request_id}")
    assert status == 404
