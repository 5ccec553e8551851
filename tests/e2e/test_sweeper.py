"""Dropped triggers and pushes are caught by the sweeper, which finishes the message."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import firestore

from herald.clock import now_ms
from herald.ids import hash_api_key
from herald.store.firestore import FirestoreKeys, FirestoreMessages
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_crashes import handled, rendered_event_id
from tests.e2e.test_send import ended, mails_for

pytestmark = pytest.mark.e2e


def own_workspace(stack: Stack) -> tuple[str, Client]:
    """A workspace of its own, so that a dropped delivery can only be the test's."""
    workspace, key = f"sweep-{uuid.uuid4().hex[:8]}", f"hk_{uuid.uuid4().hex}"
    FirestoreKeys(firestore.Client(project=stack.emulators.project)).put(
        hash_api_key(key), workspace
    )
    return workspace, Client(stack.base_url, key)


def sweep_log(stack: Stack, message: str) -> list[dict[str, object]]:
    lines = (stack.log_dir / "sweep.log").read_text().splitlines()
    return [json.loads(line) for line in lines if message in line and line.startswith("{")]


def test_a_lost_trigger_is_republished_by_the_sweeper(stack: Stack, sinks: Client) -> None:
    workspace, api = own_workspace(stack)
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
    republished = sweep_log(stack, "sweeper republished")
    assert f"{workspace}:{request_id}:1" in [r["event_id"] for r in republished]


STUCK_AFTER_S = 3  # the sweep's threshold here; in use, derived from the pipeline's timings


@pytest.fixture
def push_lost_to_deliver(stack: Stack, tmp_path: Path) -> Iterator[str]:
    """Deliver acks the first push of a workspace of the test's and drops it: never handled,
    never redelivered. The schedule is paused: the test runs the sweep itself."""
    workspace = f"sweep-{uuid.uuid4().hex[:8]}"
    stack.restart_function(
        "deliver",
        env={"HERALD_FAULT_DROP_PUSH": workspace, "HERALD_CRASH_MARKER": str(tmp_path / "lost")},
    )
    stack.restart_function("sweep", env={"HERALD_SWEEP_STUCK_AFTER_S": str(STUCK_AFTER_S)})
    try:
        with stack.schedule_paused():
            yield workspace
    finally:
        stack.restart_function("deliver")
        stack.restart_function("sweep")


def test_a_push_lost_for_good_is_redriven_by_the_first_sweep_past_the_threshold(
    stack: Stack, sinks: Client, push_lost_to_deliver: str
) -> None:
    workspace = push_lost_to_deliver
    key = f"hk_{uuid.uuid4().hex}"
    client = firestore.Client(project=stack.emulators.project)
    FirestoreKeys(client).put(hash_api_key(key), workspace)
    api = Client(stack.base_url, key)

    request_id = api.send({"to": {"email": "lost-push@example.com"}, "content": {"body": "x"}})
    rendered = eventually(
        lambda: (
            rendered_event_id(api, request_id)
            if api.get(f"/messages/{request_id}")["status"] == "ROUTED"
            else None
        ),
        timeout_s=60,
        what="the message to be routed",
    )
    deliver_log = (stack.log_dir / "deliver.log").read_text
    eventually(lambda: f'"event_id": "{rendered}"' in deliver_log(), what="the push to be dropped")
    assert handled(stack, "deliver", rendered) == 0

    # The sweep's clock, driven: once the message has waited past the threshold, one run.
    message = FirestoreMessages(client).get_message(workspace, request_id)
    assert message is not None and message.updated_ms is not None
    past_threshold = message.updated_ms + STUCK_AFTER_S * 1000
    eventually(lambda: now_ms() > past_threshold, timeout_s=STUCK_AFTER_S + 5, what="the clock")
    report = stack.run_scheduled("sweep")

    assert report["redriven"] >= 1
    redriven = sweep_log(stack, "sweeper re-drove a message")
    assert [r["event_id"] for r in redriven if r["message_id"] == request_id] == [rendered]
    finished = eventually(lambda: ended(api, request_id), timeout_s=60, what="the message to end")
    assert finished["status"] == "SENT"
    assert len(mails_for(sinks, request_id)) == 1
    assert handled(stack, "deliver", rendered) == 1
