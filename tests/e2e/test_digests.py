"""Digests on the local stack, driven by Courier's SDK: sends to a digest topic collected
per user, then released as one email holding every item."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from courier import Courier

from herald.ids import hash_api_key
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


def test_a_topics_digest_is_released_for_one_user_then_turned_off_and_counted(
    stack: Stack, sinks: Client
) -> None:
    key = "hk_e2e_" + secrets.token_urlsafe(24)  # a workspace of its own: its own sections
    stack.adapters().keys.put(hash_api_key(key), f"e2e-{secrets.token_hex(6)}")
    api = Client(stack.base_url, key)
    with Courier(
        api_key=key, base_url=stack.base_url, max_retries=0, _strict_response_validation=True
    ) as client:
        one, digest, schedule_id = unique("comment"), unique("comments"), unique("weekly")
        for template_id, body in ((one, "one: {{text}}"), (digest, ITEMS_BODY)):
            content = {"title": "Comments", "body": body}
            assert api.request("PUT", f"/templates/{template_id}", {"content": content})[0] == 200
        section = client.workspace_preferences.create(name="Activity")
        topic = client.workspace_preferences.topics.create(
            section.id, name="Comments", default_status="OPTED_IN"
        )
        weekly = {
            "schedule_id": schedule_id,
            "frequency": "weekly",
            "day_of_week": "Monday",
            "time": "09:00",
            "timezone": "Europe/Paris",
        }
        status, body = api.request(
            "PUT",
            f"/preferences/topics/{topic.id}",
            {"digest": {"schedules": [weekly], "template_id": digest}},
        )
        assert status == 200, body
        user = unique("user")
        address = f"{user}@example.com"
        client.profiles.create(user, profile={"email": address})

        def send(text: str) -> None:
            client.send.message(
                message={
                    "to": {"user_id": user},
                    "template": one,
                    "data": {"text": text},
                    "preferences": {"subscription_topic_id": topic.id},
                }
            )

        def holding(count: int) -> Any:
            items = client.digests.schedules.list_instances(schedule_id).items
            return True if [i.event_count for i in items] == [count] else None

        for text in ("a", "b"):
            send(text)
        eventually(lambda: holding(2), what="two items collected")
        for _ in range(2):  # asked twice, released once
            client.workspace_preferences.topics.release_digest(
                topic.id, section_id=section.id, user_id=user
            )
        [first] = eventually(lambda: mails_to(sinks, address), what="the released digest")
        assert sorted(re.findall(r"\[(\w)\]", first["text"])) == ["a", "b"]

        send("c")
        eventually(lambda: holding(1), what="the next window's item")
        client.workspace_preferences.topics.delete_digest(topic.id, section_id=section.id)

        def both() -> list[dict[str, Any]] | None:
            found = mails_to(sinks, address)
            return found if len(found) == 2 else None

        mails = eventually(both, what="what the digest held, released as it was turned off")
        assert sum("[c] of 1" in m["text"] for m in mails) == 1
        assert "digest" not in api.request("GET", f"/preferences/topics/{topic.id}")[1]

        def counted() -> Any:
            series = client.notifications.get_metrics(
                digest, granularity="HOUR", lookback="PT3H"
            ).series
            sent = sum(row.sent for bucket in series for row in bucket.data)
            return series if sent == 2 else None

        series = eventually(counted, what="the digest template's two sends counted")
        [row] = [row for bucket in series for row in bucket.data]
        assert (row.channel, row.sent, row.errors, row.undeliverable) == ("email", 2, 0, 0)
        # The collected sends were never sent: their template counts nothing.
        quiet = client.notifications.get_metrics(one, granularity="HOUR", lookback="PT3H")
        assert all(bucket.data == [] for bucket in quiet.series)
