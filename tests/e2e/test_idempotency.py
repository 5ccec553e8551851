"""Idempotency-Key through the deployed wiring: the api function on the Firestore emulator."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from herald.domain.status import PIPELINE_END
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def post(stack: Stack, key: str, body: Any) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(
        stack.base_url + "/send",
        json.dumps(body).encode(),
        {
            "content-type": "application/json",
            "authorization": f"Bearer {stack.api_key}",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def test_a_retried_send_with_the_same_key_replays_the_first_answer(
    stack: Stack, api: Client
) -> None:
    key = str(uuid.uuid4())
    body = {"message": {"to": {"email": "once@example.com"}, "content": {"body": "once"}}}
    status, headers, first = post(stack, key, body)
    assert status == 202 and "Idempotent-Replayed" not in headers
    status, headers, again = post(stack, key, body)
    assert (status, again, headers.get("Idempotent-Replayed")) == (202, first, "true")
    request_id = first["requestId"]

    def ended() -> dict[str, Any] | None:
        message: dict[str, Any] = api.get(f"/messages/{request_id}")
        return message if message["status"] in PIPELINE_END else None

    assert eventually(ended, what="the message's end state")["status"] == "SENT"
