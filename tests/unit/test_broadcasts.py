"""Courier's broadcasts over in-memory stores: content in a private template, a send to
a list or an audience through the list fan-out, a schedule and its cancel, and the
status read from the send's own message."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from herald.api.http import Api
from herald.clock import now_ms
from herald.errors import ValidationFailed
from herald.pipeline import broadcasting
from tests.unit.test_api import call, make_api
from tests.unit.test_openapi_responses import checked

CONTENT = {
    "content": {
        "version": "2022-01-01",
        "elements": [
            {"type": "meta", "title": "News for {{profile.name}}"},
            {"type": "text", "content": "Our spring issue", "id": "body"},
        ],
    }
}


def soon() -> str:
    """A wall-clock time a day away: within the 30 days a delay may wait."""
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    return later.strftime("%Y-%m-%dT%H:%M:%S")


def subscribers(api: Api, list_id: str, *names: str) -> None:
    for name in names:
        profile = {"profile": {"email": f"{name}@example.com", "name": name, "plan": "gold"}}
        call(api, "POST", f"/profiles/{name}", profile)
    recipients = [{"recipientId": name} for name in names]
    assert call(api, "POST", f"/lists/{list_id}/subscriptions", {"recipients": recipients}).status
    assert call(api, "PUT", f"/lists/{list_id}", {"name": list_id}).status == 204


def draft(api: Api, name: str = "Spring", channel: str = "email") -> dict[str, Any]:
    made = call(api, "POST", "/broadcasts", {"name": name, "channel": channel})
    assert made.status == 201, made.body
    assert call(api, "PUT", f"/broadcasts/{made.body['id']}/content", CONTENT).status == 200
    return dict(made.body)


def test_a_broadcast_sent_to_a_list_reaches_each_subscriber_and_reads_as_sent() -> None:
    api, pipeline = make_api()
    subscribers(api, "news", "ada", "bob")
    made = draft(api)
    assert made["status"] == "draft"
    sent = call(
        api,
        "POST",
        f"/broadcasts/{made['id']}/send",
        {"recipient_id": "news", "recipient_type": "list"},
    )
    assert sent.status == 200, sent.body
    assert sent.body["schedule"] == {"recipient_id": "news", "recipient_type": "list"}
    pipeline.drain()
    mails = sorted((d.rendered["subject"], d.rendered["text"]) for d in pipeline.email.sent)
    assert mails == [
        ("News for ada", "Our spring issue"),
        ("News for bob", "Our spring issue"),
    ]
    assert call(api, "GET", f"/broadcasts/{made['id']}").body["status"] == "sent"
    # Its content is what was sent now; a second send is refused.
    again = call(
        api,
        "POST",
        f"/broadcasts/{made['id']}/send",
        {"recipient_id": "news", "recipient_type": "list"},
    )
    assert (again.status, again.body["errors"][0]["field"]) == (400, "status")
    assert call(api, "PUT", f"/broadcasts/{made['id']}/content", CONTENT).status == 400
    # Its template is its own: not among the workspace's notifications.
    assert call(api, "GET", "/notifications").body["results"] == []


def test_a_broadcast_to_an_audience_reaches_its_members() -> None:
    api, pipeline = make_api()
    subscribers(api, "unused", "ada")
    call(api, "POST", "/profiles/cy", {"profile": {"email": "cy@example.com", "plan": "free"}})
    gold = {"filters": [{"operator": "EQ", "path": "plan", "value": "gold"}]}
    call(api, "PUT", "/audiences/gold", {"name": "Gold", "filter": gold})
    made = draft(api)
    body = {"recipient_id": "gold", "recipient_type": "audience"}
    assert call(api, "POST", f"/broadcasts/{made['id']}/send", body).status == 200
    pipeline.drain()
    assert [d.recipient.get("email") for d in pipeline.email.sent] == ["ada@example.com"]


def test_a_scheduled_broadcast_waits_and_its_cancel_makes_it_a_draft_never_sent() -> None:
    api, pipeline = make_api()
    subscribers(api, "news", "ada")
    made = draft(api)
    path = f"/broadcasts/{made['id']}"
    at = soon()
    body = {
        "recipient_id": "news",
        "recipient_type": "list",
        "scheduled_to": at,
        "timezone": "America/New_York",
    }
    scheduled = call(api, "POST", f"{path}/schedule", body)
    assert scheduled.status == 200, scheduled.body
    assert scheduled.body["status"] == "scheduled"
    assert scheduled.body["schedule"]["scheduled_to"] == at
    pipeline.drain()
    assert call(api, "GET", path).body["status"] == "scheduled"
    assert pipeline.email.sent == []

    canceled = call(api, "POST", f"{path}/cancel")
    assert canceled.status == 200, canceled.body
    assert canceled.body["status"] == "draft"
    assert "schedule" not in canceled.body
    pipeline.fire_timers()  # its time come: the canceled message stays unsent
    assert pipeline.email.sent == []
    again = call(api, "POST", f"{path}/cancel")
    assert (again.status, again.body["errors"][0]["field"]) == (400, "status")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"recipient_id": "news", "recipient_type": "list", "scheduled_to": "soon"},
            "scheduled_to",
        ),
        (
            {
                "recipient_id": "news",
                "recipient_type": "list",
                "scheduled_to": "2020-01-01T00:00:00",
            },
            "scheduled_to",
        ),
        (
            {
                "recipient_id": "news",
                "recipient_type": "list",
                "scheduled_to": "2020-01-01T00:00:00",
                "timezone": "Mars/Olympus",
            },
            "timezone",
        ),
        ({"recipient_id": "nope", "recipient_type": "list", "scheduled_to": "x"}, "scheduled_to"),
        ({"recipient_id": "news", "recipient_type": "group"}, "recipient_type"),
    ],
)
def test_a_bad_schedule_is_refused_naming_its_field(body: dict[str, Any], field: str) -> None:
    api, _ = make_api()
    subscribers(api, "news", "ada")
    made = draft(api)
    answer = call(api, "POST", f"/broadcasts/{made['id']}/schedule", body)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == field


def test_a_send_needs_content_and_a_recipient_that_exists() -> None:
    api, _ = make_api()
    subscribers(api, "news", "ada")
    bare = call(api, "POST", "/broadcasts", {"name": "Bare", "channel": "sms"}).body
    to_news = {"recipient_id": "news", "recipient_type": "list"}
    no_content = call(api, "POST", f"/broadcasts/{bare['id']}/send", to_news)
    assert (no_content.status, no_content.body["errors"][0]["field"]) == (400, "content")
    made = draft(api)
    for kind in ("list", "audience"):
        missing = {"recipient_id": "nobody", "recipient_type": kind}
        answer = call(api, "POST", f"/broadcasts/{made['id']}/send", missing)
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, "recipient_id")
    teams = call(api, "POST", "/broadcasts", {"name": "T", "channel": "pigeon"})
    assert (teams.status, teams.body["errors"][0]["field"]) == (400, "channel")
    long_name = call(api, "POST", "/broadcasts", {"name": "n" * 201, "channel": "email"})
    assert (long_name.status, long_name.body["errors"][0]["field"]) == (400, "name")
    assert call(api, "POST", "/broadcasts", {"name": "n" * 200, "channel": "email"}).status == 201


def test_rename_duplicate_archive_and_the_newest_first_list() -> None:
    api, _ = make_api()
    first = draft(api, "First")
    second = draft(api, "Second")
    renamed = call(api, "PUT", f"/broadcasts/{first['id']}", {"name": "Renamed"})
    assert renamed.body["name"] == "Renamed"
    copy = call(api, "POST", f"/broadcasts/{second['id']}/duplicate").body
    assert (copy["name"], copy["status"], copy["channel"]) == ("Second (copy)", "draft", "email")
    copied = call(api, "GET", f"/broadcasts/{copy['id']}/content").body
    assert copied["elements"][1]["content"] == "Our spring issue"

    listed = call(api, "GET", "/broadcasts").body["results"]
    assert [b["id"] for b in listed] == [copy["id"], second["id"], first["id"]]
    archived = call(api, "DELETE", f"/broadcasts/{second['id']}")
    assert archived.status == 200
    assert archived.body["archived_at"] is not None
    assert call(api, "GET", f"/broadcasts/{second['id']}").status == 404
    listed = call(api, "GET", "/broadcasts", limit="1").body
    assert [b["id"] for b in listed["results"]] == [copy["id"]]
    rest = call(api, "GET", "/broadcasts", cursor=listed["paging"]["cursor"]).body
    assert [b["id"] for b in rest["results"]] == [first["id"]]
    assert call(api, "GET", "/broadcasts", limit="101").body["errors"][0]["field"] == "limit"


def test_an_archived_broadcast_reads_as_missing_and_another_workspace_s_too() -> None:
    api, _ = make_api()
    made = draft(api)
    assert call(api, "GET", f"/broadcasts/{made['id']}", key="other-key").status == 404
    assert call(api, "GET", "/broadcasts", key="other-key").body["results"] == []


def test_a_list_of_archived_broadcasts_reads_a_bounded_number_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broadcasting, "MAX_SCANNED", 3)
    api, _ = make_api()
    made = [draft(api, f"B{i}") for i in range(4)]
    for broadcast in made:
        call(api, "DELETE", f"/broadcasts/{broadcast['id']}")
    page = call(api, "GET", "/broadcasts", limit="2").body
    assert page["results"] == []
    assert page["paging"]["more"] is True


def test_every_answer_is_as_documented() -> None:
    api, pipeline = make_api()
    subscribers(api, "news", "ada")
    made = checked(api, "POST", "/broadcasts", "/broadcasts", {"name": "S", "channel": "email"})
    one = f"/broadcasts/{made['id']}"
    template = "/broadcasts/{broadcast_id}"
    checked(api, "PUT", f"{one}/content", f"{template}/content", CONTENT)
    checked(api, "GET", f"{one}/content", f"{template}/content")
    checked(api, "PUT", one, template, {"name": "T"})
    checked(api, "GET", "/broadcasts", "/broadcasts")
    body = {"recipient_id": "news", "recipient_type": "list", "scheduled_to": soon()}
    checked(api, "POST", f"{one}/schedule", f"{template}/schedule", body)
    checked(api, "POST", f"{one}/cancel", f"{template}/cancel")
    checked(api, "POST", f"{one}/duplicate", f"{template}/duplicate")
    send = {"recipient_id": "news", "recipient_type": "list"}
    checked(api, "POST", f"{one}/send", f"{template}/send", send)
    pipeline.drain()
    checked(api, "GET", one, template)
    checked(api, "DELETE", one, template)
    checked(api, "GET", one, template)


def test_a_scheduled_broadcast_goes_out_when_due_to_whoever_is_subscribed_then() -> None:
    api, pipeline = make_api()
    subscribers(api, "news", "ada")
    made = draft(api)
    body = {"recipient_id": "news", "recipient_type": "list", "scheduled_to": soon()}
    assert call(api, "POST", f"/broadcasts/{made['id']}/schedule", body).status == 200
    pipeline.drain()
    [(key, waiting)] = [(k, m) for k, m in pipeline.messages.messages.items() if m.fanout]
    assert waiting.status == "DELAYED"  # the list send waits whole, not expanded
    pipeline.fire_timers()  # early: it only waits again
    assert pipeline.email.sent == []
    subscribers(api, "news", "bob")
    pipeline.messages.messages[key] = waiting.model_copy(
        update={"not_before_ms": waiting.not_before_ms and 1}  # its time has come
    )
    pipeline.fire_timers()
    assert sorted(d.recipient["email"] for d in pipeline.email.sent) == [
        "ada@example.com",
        "bob@example.com",
    ]
    assert call(api, "GET", f"/broadcasts/{made['id']}").body["status"] == "sent"


def test_one_send_at_a_time_takes_a_broadcast_and_a_failed_one_frees_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, pipeline = make_api()
    subscribers(api, "news", "ada")
    made = draft(api)
    path = ("broadcasts", made["id"])
    to_news = {"recipient_id": "news", "recipient_type": "list"}

    # Another send holds it (taken, its request not yet made): this one is refused.
    held = {"token": "other", "until_ms": now_ms() + broadcasting.CLAIM_MS}
    pipeline.documents.update("ws1", path, lambda current: {**(current or {}), "claim": held})
    refused = call(api, "POST", f"/broadcasts/{made['id']}/send", to_news)
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "status")
    # Held past its time (that send's instance gone): it is free again.
    lapsed = {**held, "until_ms": now_ms() - 1}
    pipeline.documents.update("ws1", path, lambda current: {**(current or {}), "claim": lapsed})

    def failing(workspace: str, body: Any) -> str:
        raise ValidationFailed.of("message.to", "refused")

    monkeypatch.setattr(pipeline.services.sending, "send", failing)
    assert call(api, "POST", f"/broadcasts/{made['id']}/send", to_news).status == 400
    monkeypatch.undo()
    sent = call(api, "POST", f"/broadcasts/{made['id']}/send", to_news)
    assert sent.status == 200, sent.body
    pipeline.drain()
    assert [d.recipient["email"] for d in pipeline.email.sent] == ["ada@example.com"]
    assert "claim" not in (pipeline.documents.get("ws1", path) or {})
