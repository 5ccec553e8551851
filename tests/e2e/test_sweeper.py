"""A dropped trigger is caught by the sweeper, which finishes the message."""

from __future__ import annotations

import json
import uuid

import pytest
from google.cloud import firestore

from herald.ids import hash_api_key
from herald.local.stack import Stack
from herald.store.firestore import FirestoreKeys
from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended, mails_for

pytestmark = pytest.mark.e2e


def test_a_lost_trigger_is_republished_by_the_sweeper(stack: Stack, sinks: Client) -> None:
    # A workspace of its own, so the dropped delivery can only be this test's.
    workspace, key = f"sweep-{uuid.uuid4().hex[:8]}", f"hk_{uuid.uuid4().hex}"
    FirestoreKeys(firestore.Client(project=stack.emulators.project)).put(
        hash_api_key(key), workspace
    )
    api = Client(stack.base_url, key)
    dropped_before = stack.router.dropped
    stack.router.drop_first(lambda d: f"workspaces/{workspace}/" in d.headers.get("ce-subject", ""))

    request_id = api.send({"to": {"email": "swept@example.com"}, "content": {"body": "late"}})

    message = eventually(
        lambda: ended(api, request_id), timeout_s=60, what="the sweeper to finish it"
    )
    assert stack.router.dropped == dropped_before + 1
    assert message["status"] == "SENT"
    assert len(mails_for(sinks, request_id)) == 1
    history = [h["type"] for h in api.get(f"/messages/{request_id}/history")["results"]]
    assert history == ["ENQUEUED", "ROUTED", "RENDERED", "SENT"]
    sweep_log = (stack.log_dir / "sweep.log").read_text().splitlines()
    republished = [json.loads(line) for line in sweep_log if "sweeper republished" in line]
    assert f"{workspace}:{request_id}:1" in [r["event_id"] for r in republished]
