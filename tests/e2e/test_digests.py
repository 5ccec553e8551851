"""Digests on the local stack, driven by Courier's SDK: sends to a digest topic collected
per user, then released as one email holding every item."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

ITEMS_BODY = "{{#each digest.items}}[{{this.text}}]{{/each}} of {{digest.count}}"


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def mails_to(sinks: Client, address: str) -> list[dict[str, Any]]:
    return [m for m in sinks.get("/mail") if address in m["to"]]


def test_sends_to_a_digest_topic_are_released_as_one_email_through_the_sdk(
    client: Courier, api: Client, sinks: Client
) -> None:
    one, digest = unique("comment"), unique("comments")
    topic_id, schedule_id = unique("topic"), unique("daily")
    for template_id, body in ((one, "one: {{text}}"), (digest, ITEMS_BODY)):
        content = {"title": "Comments", "body": body}
        assert api.request("PUT", f"/templates/{template_id}", {"content": content})[0] == 200
    # Topics are Herald's own API: Courier defines them in its web app.
    schedule = {"schedule_id": schedule_id, "frequency": "daily", "time": "09:00"}
    status, body = api.request(
        "PUT",
        f"/preferences/topics/{topic_id}",
        {"topic_name": "Comments", "digest": {"schedules": [schedule], "template_id": digest}},
    )
    assert status == 200, body
    user = unique("user")
    address = f"{user}@example.com"
    client.profiles.create(user, profile={"email": address})

    sent = [
        client.send.message(
            message={
                "to": {"user_id": user},
                "template": one,
                "data": {"text": text},
                "preferences": {"subscription_topic_id": topic_id},
            }
        ).request_id
        for text in ("a", "b", "c")
    ]

    def collected() -> Any:
        page = client.digests.schedules.list_instances(schedule_id)
        counts = [(i.user_id, i.event_count, i.status) for i in page.items]
        return counts if counts == [(user, 3, "IN_PROGRESS")] else None

    eventually(collected, what="three items collected")
    assert [client.messages.retrieve(i).status for i in sent] == ["DIGESTED"] * 3
    assert mails_to(sinks, address) == []

    client.digests.schedules.release(schedule_id)
    [mail] = eventually(lambda: mails_to(sinks, address), what="the digest's email")
    # In the order collected, which the pipeline does not keep from the order sent.
    assert sorted(re.findall(r"\[(\w)\]", mail["text"])) == ["a", "b", "c"]
    assert " of 3" in mail["text"]
    [instance] = client.digests.schedules.list_instances(schedule_id).items
    assert (instance.event_count, instance.status) == (0, "COMPLETED")
