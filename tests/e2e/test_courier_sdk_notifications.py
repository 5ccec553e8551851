"""Conformance: Courier's Python SDK drives notification templates (drafts, versions,
publishing, content by element and locale, submission checks) and broadcasts on the
local stack.

As in ``test_courier_sdk``: the client validates every answer against the SDK's own
models, with retries off.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier
from courier.types import NotificationContentGetResponse

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def as_json(model: Any) -> Any:
    """A parsed answer as JSON, where the SDK types a field only as ``object``."""
    return model.to_dict()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def mails_to(sinks: Client, address: str) -> list[dict[str, Any]]:
    return [m for m in sinks.get("/mail") if address in m["to"]]


def email_content(text: str) -> Any:
    return {
        "version": "2022-01-01",
        "elements": [
            {
                "type": "channel",
                "channel": "email",
                "elements": [
                    {"type": "meta", "title": "Hello {{name}}", "id": "subject"},
                    {"type": "text", "content": text, "id": "greeting"},
                ],
            }
        ],
    }


def notification(name: str, text: str) -> Any:
    return {
        "name": name,
        "content": email_content(text),
        "tags": ["e2e"],
        "brand": None,
        "routing": None,
        "subscription": None,
    }


def test_a_template_is_drafted_published_versioned_and_sent(client: Courier, sinks: Client) -> None:
    name = unique("welcome")
    created = client.notifications.create(notification=notification(name, "First"))
    assert (created.state, created.name, created.tags) == ("DRAFT", name, ["e2e"])
    template_id = created.id
    with pytest.raises(courier.NotFoundError):
        client.notifications.retrieve(template_id)
    with pytest.raises(courier.BadRequestError):
        client.send.message(message={"to": {"email": "x@example.com"}, "template": template_id})

    client.notifications.publish(template_id)
    assert client.notifications.retrieve(template_id).state == "PUBLISHED"
    listed = client.notifications.list(tags="E2E")
    assert template_id in [t.id for t in listed.results]

    changed = client.notifications.put_element(
        "greeting", id=template_id, type="text", data={"content": "Second"}
    )
    assert changed.state == "DRAFT"
    assert {e.id for e in changed.elements} >= {"subject", "greeting"}
    overrides: Any = [{"id": "greeting", "content": "Deuxième"}]  # the SDK's extra items
    client.notifications.put_locale("fr", id=template_id, elements=overrides)
    client.notifications.publish(template_id)
    versions = client.notifications.list_versions(template_id)
    assert [v.version for v in versions.versions] == ["published:v002", "v001"]
    # The SDK's own retrieve_content cannot parse any answer (its response union names a
    # model it never resolves), so its request is made with the member Herald answers.
    content = client.get(
        f"/notifications/{template_id}/content", cast_to=NotificationContentGetResponse
    )
    greeting = as_json(content)["elements"][0]["elements"][1]
    assert (greeting["id"], sorted(greeting["locales"])) == ("greeting", ["fr"])

    address = f"{unique('reader')}@example.com"
    client.send.message(
        message={
            "to": {"email": address, "locale": "fr"},
            "template": template_id,
            "data": {"name": "Ada"},
        }
    )
    [mail] = eventually(lambda: mails_to(sinks, address), what="the mail")
    assert mail["subject"] == "Hello Ada"
    assert "Deuxième" in mail["text"]

    replaced = client.notifications.replace(
        template_id, notification=notification(name, "Third"), state="PUBLISHED"
    )
    assert replaced.state == "PUBLISHED"
    put = client.notifications.put_content(template_id, content=email_content("Fourth"))
    assert put.version == "2022-01-01"
    old = client.notifications.retrieve(template_id, version="v001")
    assert as_json(old.content)["elements"][0]["elements"][1]["content"] == "First"

    checks = client.notifications.checks.update(
        "review-1",
        id=template_id,
        checks=[{"id": "legal", "status": "RESOLVED", "type": "custom"}],
    )
    assert [(c.id, c.status) for c in checks.checks] == [("legal", "RESOLVED")]
    assert len(client.notifications.checks.list("review-1", id=template_id).checks) == 1
    client.notifications.checks.delete("review-1", id=template_id)

    client.notifications.archive(template_id)
    assert template_id not in [t.id for t in client.notifications.list(tags="e2e").results]
    with pytest.raises(courier.BadRequestError):
        client.send.message(message={"to": {"email": address}, "template": template_id})


def test_a_broadcast_reaches_a_list_and_a_schedule_is_canceled(
    client: Courier, sinks: Client
) -> None:
    list_id = unique("readers")
    users = [unique("sub") for _ in range(2)]
    for user in users:
        client.profiles.create(user, profile={"email": f"{user}@example.com", "name": user})
    client.lists.update(list_id, name="Readers")
    client.lists.subscriptions.add(list_id, recipients=[{"recipient_id": u} for u in users])

    made = client.broadcasts.create(channel="email", name=unique("issue"))
    assert made.status == "draft"
    client.broadcasts.put_content(
        made.id,
        content={
            "version": "2022-01-01",
            "elements": [
                {"type": "meta", "title": "Issue for {{profile.name}}"},
                {"type": "text", "content": "Spring"},
            ],
        },
    )
    shown = client.broadcasts.retrieve_content(made.id)
    assert as_json(shown)["elements"][1]["content"] == "Spring"
    renamed = client.broadcasts.update(made.id, name="Spring issue")
    assert renamed.name == "Spring issue"
    copy = client.broadcasts.duplicate(made.id)
    assert copy.name == "Spring issue (copy)"

    sent = client.broadcasts.send(made.id, recipient_id=list_id, recipient_type="list")
    assert sent.schedule is not None and sent.schedule.recipient_id == list_id
    for user in users:
        address = f"{user}@example.com"
        [mail] = eventually(lambda: mails_to(sinks, address), what="the mail")  # noqa: B023
        assert mail["subject"] == f"Issue for {user}"
    eventually(lambda: client.broadcasts.retrieve(made.id).status == "sent", what="sent")

    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    scheduled = client.broadcasts.schedule(
        copy.id,
        recipient_id=list_id,
        recipient_type="list",
        scheduled_to=later.strftime("%Y-%m-%dT%H:%M:%S"),
        timezone="Europe/Paris",
    )
    assert scheduled.status == "scheduled"
    eventually(lambda: client.broadcasts.retrieve(copy.id).status == "scheduled", what="waiting")
    assert client.broadcasts.cancel(copy.id).status == "draft"
    ids = [b.id for b in client.broadcasts.list().results]
    assert ids.index(copy.id) < ids.index(made.id)  # the newest first
    archived = client.broadcasts.archive(copy.id)
    assert archived.archived_at is not None
    with pytest.raises(courier.NotFoundError):
        client.broadcasts.retrieve(copy.id)
