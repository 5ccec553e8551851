"""Courier's workspace preferences (sections of topics), driven by Courier's SDK in process.

A section's topics are the workspace's one kind of topic: a send names them, and
``/preferences/topics`` serves them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import courier
import httpx
import pytest
from courier import Courier

from herald.api.http import Api
from herald.domain.audience import MAX_TOPIC_DATA
from herald.engagement.choices import RecipientChoices
from herald.engagement.links import Recipient
from herald.resources import preference_logs, preference_sections
from tests.unit.fakes import Pipeline
from tests.unit.test_api import KEY, call, make_api
from tests.unit.test_courier_sdk_models import transport
from tests.unit.test_send_features import CONTENT, send


@pytest.fixture
def herald() -> Iterator[tuple[Courier, Pipeline, Api]]:
    api, pipeline = make_api()
    with Courier(
        api_key=KEY,
        base_url="http://herald.test",
        http_client=httpx.Client(transport=transport(api)),
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client, pipeline, api


def test_a_section_and_its_topics_are_managed_through_the_sdk(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, _ = herald
    section = client.workspace_preferences.create(
        name="Product", description="What we ship", routing_options=["email"]
    )
    assert (section.name, section.routing_options, section.topics) == ("Product", ["email"], [])
    weekly = client.workspace_preferences.topics.create(
        section.id,
        name="Weekly",
        default_status="OPTED_IN",
        allowed_preferences=["channel_preferences"],
        routing_options=["email", "sms"],
        topic_data={"cadence": "weekly"},
    )
    alerts = client.workspace_preferences.topics.create(
        section.id, name="Alerts", default_status="REQUIRED"
    )
    got = client.workspace_preferences.retrieve(section.id)
    assert [t.name for t in got.topics] == ["Weekly", "Alerts"]
    assert got.topics[0].topic_data == {"cadence": "weekly"}
    assert [t.id for t in client.workspace_preferences.topics.list(section.id).results] == [
        weekly.id,
        alerts.id,
    ]
    replaced = client.workspace_preferences.topics.replace(
        weekly.id, section_id=section.id, name="Weekly digest", default_status="OPTED_OUT"
    )
    # A replace clears what it omits, as Courier's does.
    assert (replaced.default_status, replaced.routing_options, replaced.topic_data) == (
        "OPTED_OUT",
        [],
        {},
    )
    assert replaced.created == weekly.created
    renamed = client.workspace_preferences.replace(section.id, name="Products")
    assert (renamed.name, renamed.description, len(renamed.topics)) == ("Products", None, 2)
    assert [s.id for s in client.workspace_preferences.list().results] == [section.id]
    published = client.workspace_preferences.publish(heading="Your emails")
    assert published.page_id and published.published_version > 0


def test_a_section_with_topics_cannot_be_archived_until_they_are(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, _ = herald
    section = client.workspace_preferences.create(name="News")
    topic = client.workspace_preferences.topics.create(
        section.id, name="Daily", default_status="OPTED_IN"
    )
    with pytest.raises(courier.ConflictError):
        client.workspace_preferences.archive(section.id)
    client.workspace_preferences.topics.archive(topic.id, section_id=section.id)
    with pytest.raises(courier.NotFoundError):
        client.workspace_preferences.topics.retrieve(topic.id, section_id=section.id)
    client.workspace_preferences.archive(section.id)
    assert client.workspace_preferences.list().results == []


def test_a_section_s_topic_is_the_topic_a_send_names(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, pipeline, api = herald
    section = client.workspace_preferences.create(name="Beta")
    topic = client.workspace_preferences.topics.create(
        section.id, name="Beta programme", default_status="OPTED_OUT"
    )
    herald_view = call(api, "GET", f"/preferences/topics/{topic.id}").body
    assert herald_view == {
        "topic_id": topic.id,
        "topic_name": "Beta programme",
        "default_status": "OPTED_OUT",
        "allowed_channels": [],
        "section_id": section.id,
    }
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    message = {
        "to": {"user_id": "ada"},
        "content": CONTENT,
        "preferences": {"subscription_topic_id": topic.id},
    }
    first = send(api, pipeline, message)
    assert (first["status"], first["reason"]) == ("UNDELIVERABLE", "OPT_IN_REQUIRED")
    # Herald's own topic API changes the same topic, and keeps it in its section.
    body = {"topic_name": "Beta", "default_status": "OPTED_IN"}
    assert call(api, "PUT", f"/preferences/topics/{topic.id}", body).status == 200
    kept = client.workspace_preferences.topics.retrieve(topic.id, section_id=section.id)
    assert (kept.default_status, kept.name, kept.created) == ("OPTED_IN", "Beta", topic.created)
    assert send(api, pipeline, message)["status"] == "SENT"
    # Deleted there, it leaves its section.
    assert call(api, "DELETE", f"/preferences/topics/{topic.id}").status == 204
    assert client.workspace_preferences.retrieve(section.id).topics == []
    client.workspace_preferences.archive(section.id)


def test_another_workspace_s_section_and_topic_are_404(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    section = client.workspace_preferences.create(name="Mine")
    topic = client.workspace_preferences.topics.create(
        section.id, name="T", default_status="OPTED_IN"
    )
    base = f"/preferences/sections/{section.id}"
    for method, path in [
        ("GET", base),
        ("DELETE", base),
        ("GET", f"{base}/topics"),
        ("GET", f"{base}/topics/{topic.id}"),
        ("DELETE", f"{base}/topics/{topic.id}"),
    ]:
        assert call(api, method, path, key="other-key").status == 404, (method, path)
    # A topic is addressed by its own section only.
    other = client.workspace_preferences.create(name="Other")
    with pytest.raises(courier.NotFoundError):
        client.workspace_preferences.topics.retrieve(topic.id, section_id=other.id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "T", "default_status": "OPTED_IN", "digest": {"template_id": "x"}}, "digest"),
        ({"name": "T", "default_status": "SOMETIMES"}, "default_status"),
        (
            {"name": "T", "default_status": "OPTED_IN", "routing_options": ["fax"]},
            "routing_options",
        ),
        (
            {"name": "T", "default_status": "OPTED_IN", "routing_options": ["sms", "sms"]},
            "routing_options",
        ),
        ({"name": "", "default_status": "OPTED_IN"}, "name"),
        ({"name": "x" * 201, "default_status": "OPTED_IN"}, "name"),
    ],
)
def test_a_bad_topic_is_a_400_naming_the_field(
    herald: tuple[Courier, Pipeline, Api], body: dict[str, object], field: str
) -> None:
    client, _, api = herald
    section = client.workspace_preferences.create(name="S")
    answer = call(api, "POST", f"/preferences/sections/{section.id}/topics", body)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"].startswith(field), answer.body


def test_topic_data_is_bounded_at_its_limit(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, _, api = herald
    section = client.workspace_preferences.create(name="S")
    padding = MAX_TOPIC_DATA - len(json.dumps({"k": ""}, separators=(",", ":")))
    at_limit = {"name": "T", "default_status": "OPTED_IN", "topic_data": {"k": "x" * padding}}
    path = f"/preferences/sections/{section.id}/topics"
    assert call(api, "POST", path, at_limit).status == 200
    over = {**at_limit, "topic_data": {"k": "x" * (padding + 1)}}
    answer = call(api, "POST", path, over)
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "topic_data")


def test_sections_and_their_topics_are_counted_at_their_limits(
    herald: tuple[Courier, Pipeline, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, api = herald
    monkeypatch.setattr(preference_sections, "MAX_SECTIONS", 2)
    monkeypatch.setattr(preference_sections, "MAX_SECTION_TOPICS", 2)
    first = client.workspace_preferences.create(name="One")
    client.workspace_preferences.create(name="Two")
    refused = call(api, "POST", "/preferences/sections", {"name": "Three"})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "name")
    path = f"/preferences/sections/{first.id}/topics"
    for name in ("a", "b"):
        assert call(api, "POST", path, {"name": name, "default_status": "OPTED_IN"}).status == 200
    full = call(api, "POST", path, {"name": "c", "default_status": "OPTED_IN"})
    assert (full.status, full.body["errors"][0]["field"]) == (400, "section_id")


def test_each_change_of_a_user_s_choice_is_logged_newest_first(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, pipeline, api = herald
    call(api, "PUT", "/preferences/topics/news", {"topic_name": "News"})
    prefs = client.users.preferences
    prefs.update_or_create_topic("news", user_id="ada", topic={"status": "OPTED_OUT"})
    prefs.update_or_create_topic(
        "news",
        user_id="ada",
        topic={"status": "OPTED_IN", "has_custom_routing": True, "custom_routing": ["email"]},
    )
    call(
        api,
        "PUT",
        "/users/bob/preferences",
        {"topics": [{"topic_id": "news", "status": "OPTED_OUT"}]},
    )
    assert call(api, "DELETE", "/users/ada/preferences/news").status == 204
    # The preferences page (an unsubscribe link) writes the same log.
    RecipientChoices(pipeline.documents).opt_out("ws1", Recipient("carol", None), "news")
    changes = client.workspace_preferences.list_logs().items
    assert [(c.user_id, c.status, c.previous and c.previous.status) for c in changes] == [
        ("carol", "OPTED_OUT", None),
        ("ada", "OPTED_IN", "OPTED_IN"),  # forgotten: the topic's default again
        ("bob", "OPTED_OUT", None),
        ("ada", "OPTED_IN", "OPTED_OUT"),
        ("ada", "OPTED_OUT", None),
    ]
    assert changes[3].custom_routing == ["email"] and changes[3].topic_name == "News"
    mine = client.workspace_preferences.list_logs(user_id="ada", limit=2)
    assert [c.status for c in mine.items] == ["OPTED_IN", "OPTED_IN"] and mine.paging.more
    assert mine.paging.cursor is not None
    rest = client.workspace_preferences.list_logs(user_id="ada", cursor=mine.paging.cursor)
    assert [c.status for c in rest.items] == ["OPTED_OUT"] and not rest.paging.more
    assert client.workspace_preferences.list_logs(since="2999-01-01").items == []
    assert len(client.workspace_preferences.list_logs(since="2000-01-01T00:00:00Z").items) == 5
    # Herald keeps no choices per tenant: none was made in a tenant's context.
    assert client.workspace_preferences.list_logs(user_id="ada", tenant_id="acme").items == []
    assert call(api, "GET", "/preferences/logs", key="other-key").body["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"tenant_id": "acme"}, "tenant_id"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"limit": "101"}, "limit"),
    ],
)
def test_a_bad_log_query_is_a_400_naming_it(
    herald: tuple[Courier, Pipeline, Api], query: dict[str, str], field: str
) -> None:
    _, _, api = herald
    answer = call(api, "GET", "/preferences/logs", **query)
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, field)


def test_a_filtered_log_page_reads_a_bounded_number_of_entries(
    herald: tuple[Courier, Pipeline, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, _ = herald
    monkeypatch.setattr(preference_logs, "SCAN_PAGE", 2)
    monkeypatch.setattr(preference_logs, "MAX_SCANNED_PAGES", 2)
    prefs = client.users.preferences
    prefs.update_or_create_topic("news", user_id="ada", topic={"status": "OPTED_OUT"})
    for n in range(5):
        prefs.update_or_create_topic(f"t{n}", user_id="bob", topic={"status": "OPTED_OUT"})
    first = client.workspace_preferences.list_logs(user_id="ada")
    # Four entries read, none of them ada's: a short page that says where to read on.
    assert (first.items, first.paging.more) == ([], True)
    assert first.paging.cursor is not None
    second = client.workspace_preferences.list_logs(user_id="ada", cursor=first.paging.cursor)
    assert [c.user_id for c in second.items] == ["ada"] and not second.paging.more
