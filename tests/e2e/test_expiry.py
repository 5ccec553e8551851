"""Courier's ``message.expiry`` on the local stack, sent through Courier's SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from courier import Courier

from herald_tools.local.processes import free_port
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_retries import scheduled_retries
from tests.e2e.test_send import ended

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(api_key=stack.api_key, base_url=stack.base_url, max_retries=0) as sdk:
        yield sdk


def test_an_expiry_passing_while_the_provider_keeps_failing_ends_it_expired(
    stack: Stack, api: Client, client: Courier
) -> None:
    # Nothing listens there: every try is refused, and is retried until the expiry.
    down = f"http://127.0.0.1:{free_port()}/down"
    request_id = client.send.message(
        message={
            "to": {"webhook": {"url": down}},
            "content": {"title": "T", "body": "expires in 15 s"},
            "expiry": {"expires_in": "PT15S"},
        }
    ).request_id

    message = eventually(lambda: ended(api, request_id), timeout_s=90, what="the expiry")
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "EXPIRED")
    assert "expired before it was sent" in message["error"]
    assert scheduled_retries(stack, request_id)  # it was retried before it expired
    history = [h["type"] for h in api.get(f"/messages/{request_id}/history")["results"]]
    assert history[-1] == "UNDELIVERABLE" and "SENT" not in history


def test_a_bad_expiry_is_a_400_naming_the_field(api: Client) -> None:
    status, body = api.request(
        "POST",
        "/send",
        {
            "message": {
                "to": {"email": "a@example.com"},
                "content": {"body": "x"},
                "expiry": {"expires_in": "P1Y"},
            }
        },
    )
    assert status == 400
    assert [e["field"] for e in body["errors"]] == ["message.expiry.expires_in"]
