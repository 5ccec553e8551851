"""Nothing is sent twice when deliver dies between steps, and what it cannot know it says.

The deliver process is killed (``os._exit``, no cleanup, no answer) at a named
point; its server replaces the dead process, as Cloud Run replaces an instance,
and Pub/Sub redelivers the push to the new one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.publish.pubsub import PubSubPublisher
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_send import ended, mails_for

pytestmark = pytest.mark.e2e


def handled(stack: Stack, function: str, event_id: str) -> int:
    """How many times ``function`` finished handling ``event_id``, from its JSON logs."""
    count = 0
    for line in (stack.log_dir / f"{function}.log").read_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            count += record.get("message") == "event handled" and record.get("event_id") == event_id
    return count


def rendered_event_id(api: Client, message_id: str) -> str:
    history = api.get(f"/messages/{message_id}/history")["results"]
    return str(next(h["eventId"] for h in history if h["type"] == "RENDERED"))


@pytest.fixture
def crashing_deliver(stack: Stack, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    marker = tmp_path / "crashed"

    def arm(point: str) -> None:
        stack.restart_function(
            "deliver", env={"HERALD_CRASH_AT": point, "HERALD_CRASH_MARKER": str(marker)}
        )

    yield arm, marker  # type: ignore[misc]
    stack.restart_function("deliver")


@pytest.mark.parametrize(
    ("point", "reason", "mails"),
    [
        # (a) recorded, nothing handed over: the redelivery sends it, once.
        ("deliver.after_attempt_recorded", None, 1),
        # (b) handed over, the SMTP server never had it: not resent (policy assume_sent),
        # and said so, as the provider might have had it.
        ("deliver.after_handoff", "OUTCOME_UNKNOWN", 0),
        # (c) the SMTP server took it, no outcome recorded: not resent (policy assume_sent).
        ("deliver.after_provider_accepted", "OUTCOME_UNKNOWN", 1),
        # (d) outcome recorded, not acked: the redelivery changes nothing.
        ("deliver.after_outcome_recorded", None, 1),
    ],
)
def test_a_killed_deliver_sends_at_most_once_and_says_when_it_cannot_know(
    stack: Stack,
    api: Client,
    sinks: Client,
    crashing_deliver: tuple[Any, Path],
    point: str,
    reason: str | None,
    mails: int,
) -> None:
    arm, marker = crashing_deliver
    arm(point)
    request_id = api.send(
        {"to": {"email": f"crash-{uuid.uuid4().hex[:8]}@example.com"}, "content": {"body": point}}
    )
    eventually(marker.exists, what=f"deliver to die at {point}")
    event_id = rendered_event_id(api, request_id)
    eventually(lambda: handled(stack, "deliver", event_id) >= 1, what="the redelivery")

    message = eventually(lambda: ended(api, request_id), what="an end state")
    assert (message["status"], message["reason"]) == ("SENT", reason)
    assert len(mails_for(sinks, request_id)) == mails
    history = [h["type"] for h in api.get(f"/messages/{request_id}/history")["results"]]
    assert history == ["ENQUEUED", "ROUTED", "RENDERED", "SENT"]


def test_an_event_relayed_twice_changes_nothing(stack: Stack, api: Client, sinks: Client) -> None:
    request_id = api.send({"to": {"email": "twice@example.com"}, "content": {"body": "once"}})
    before = eventually(lambda: ended(api, request_id), what="an end state")
    history = api.get(f"/messages/{request_id}/history")["results"]

    publisher = PubSubPublisher(stack.emulators.project)
    for entry in history[:3]:  # enqueued, routed, rendered: the ones that drive work
        envelope = EventEnvelope.model_validate(
            {
                "id": entry["eventId"],
                "type": f"message.{entry['type'].lower()}",
                "version": 1,
                "workspace": stack.workspace,
                "message_id": request_id,
                "request_id": request_id,
                "seq": int(entry["eventId"].rsplit(":", 1)[1]),
                "occurred_ms": entry["ts"],
                "payload": entry["data"],
            }
        )
        publisher.publish(
            spec_for(envelope.type).topic,
            envelope.model_dump_json().encode(),
            envelope.attributes(),
        )
    rendered = rendered_event_id(api, request_id)
    enqueued = history[0]["eventId"]
    eventually(lambda: handled(stack, "deliver", rendered) == 2, what="deliver to see it again")
    eventually(lambda: handled(stack, "render", enqueued) == 2, what="render to see it again")

    assert api.get(f"/messages/{request_id}") == before
    after = api.get(f"/messages/{request_id}/history")
    assert after["results"] == history
    assert {(i["consumer"], i["type"]) for i in after["ignored"]} == {
        ("render", "ENQUEUED"),
        ("deliver", "RENDERED"),
    }
    assert len(mails_for(sinks, request_id)) == 1
