"""Digests over the in-memory adapters: sends to a digest topic collected per user and
released once per window (on the timer, at a count, or by the trigger route), each item
once, and the bad schedules refused."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from herald.api.http import Api
from herald.clock import now_ms
from herald.domain.digest import MAX_ITEM_DATA_BYTES, MAX_ITEMS_KEPT
from herald.events.envelope import EventEnvelope
from herald.pipeline import digesting
from herald.pipeline.digesting import digest_record_id
from herald.pipeline.relaying import RelayService
from herald.pipeline.sweeping import SweepService
from herald.publish.memory import InMemoryPublisher
from herald.store.base import WorkspaceSettings
from herald.store.memory import InMemorySweep
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call, make_api

WS = "ws1"
ADA = {"email": "ada@example.com"}
DAILY = {"schedule_id": "daily-9", "frequency": "daily", "time": "09:00", "is_default": True}
INSTANT = {"schedule_id": "now", "frequency": "instant"}
ITEMS_BODY = "{{#each digest.items}}[{{this.text}}]{{/each}} of {{digest.count}}"


def topic(api: Api, **digest: Any) -> None:
    body = {"topic_name": "Comments", "digest": {"schedules": [DAILY, INSTANT], **digest}}
    answer = call(api, "PUT", "/preferences/topics/comments", body)
    assert answer.status == 200, answer.body


@pytest.fixture
def herald() -> tuple[Api, Pipeline]:
    api, pipeline = make_api()
    for name, body in (("comment", "one comment: {{text}}"), ("comments", ITEMS_BODY)):
        template = {"content": {"title": "T", "body": body}}
        assert call(api, "PUT", f"/templates/{name}", template).status < 300
    assert call(api, "PUT", "/profiles/ada", {"profile": ADA}).status < 300
    topic(api, template_id="comments")
    return api, pipeline


def send(api: Api, text: str, user: str = "ada", **extra: Any) -> str:
    message = {
        "to": {"user_id": user},
        "template": "comment",
        "data": {"text": text, **extra},
        "preferences": {"subscription_topic_id": "comments"},
    }
    answer = call(api, "POST", "/send", {"message": message})
    assert answer.status == 202, answer.body
    return str(answer.body["requestId"])


def record_id(user: str = "ada") -> str:
    return digest_record_id(WS, "comments", "daily-9", user)


def test_sends_are_collected_then_released_on_the_timer_as_one_message(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    ids = [send(api, t) for t in ("a", "b", "c")]
    pipeline.drain()
    assert pipeline.email.sent == []
    assert [call(api, "GET", f"/messages/{i}").body["status"] for i in ids] == ["DIGESTED"] * 3
    (timer,) = pipeline.timers.entries.values()
    assert timer.message_id == record_id()
    pipeline.services.digest.clock = lambda: timer.due_ms
    pipeline.fire_timers()
    pipeline.drain()
    (dispatch,) = pipeline.email.sent
    assert "[a][b][c] of 3" in str(dispatch.rendered)
    released = call(api, "GET", f"/messages/{dispatch.message_id}").body
    assert released["status"] == "SENT"


def test_each_item_is_collected_once_when_every_event_is_delivered_twice(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    digest = pipeline.consumers["digest"]
    pipeline.consumers["digest"] = lambda event: (digest(event), digest(event))[0]
    for t in ("a", "b"):
        send(api, t)
    pipeline.drain()
    for event in list(pipeline.messages.outbox):
        if event.type == "digest.item_collected":
            digest(event)
    assert call(api, "POST", "/digests/schedules/daily-9/trigger").status == 204
    pipeline.drain()
    (dispatch,) = pipeline.email.sent
    assert "[a][b] of 2" in str(dispatch.rendered)


def test_a_window_is_released_once_and_an_item_after_it_goes_to_the_next(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    send(api, "a")
    pipeline.drain()
    (timer,) = pipeline.timers.entries.values()
    assert call(api, "POST", "/digests/schedules/daily-9/trigger").status == 204
    assert call(api, "POST", "/digests/schedules/daily-9/trigger").status == 204
    pipeline.drain()
    send(api, "b")
    pipeline.drain()
    # The first window's timer, come due after the trigger released it: nothing.
    pipeline.services.digest.clock = lambda: timer.due_ms
    pipeline.services.digest.handle(timer.envelope)
    pipeline.drain()
    assert len(pipeline.email.sent) == 1 and "[a] of 1" in str(pipeline.email.sent[0].rendered)
    history = [e.type for e in pipeline.messages.history(WS, record_id())]
    assert history.count("digest.released") == 1
    record = pipeline.messages.get_message(WS, record_id())
    assert record is not None and record.digest is not None
    assert (record.digest.window, record.digest.count) == (1, 1)


def test_the_count_threshold_releases_without_waiting(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    topic(api, template_id="comments", count_threshold=2)
    for t in ("a", "b", "c"):
        send(api, t)
    pipeline.drain()
    (dispatch,) = pipeline.email.sent
    assert "[a][b] of 2" in str(dispatch.rendered)


def test_a_count_digest_waits_for_no_time_only_for_its_count(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    every_3 = {"schedule_id": "every-3", "frequency": "count", "is_default": True}
    body = {"digest": {"schedules": [every_3], "template_id": "comments", "count_threshold": 3}}
    assert call(api, "PUT", "/preferences/topics/comments", body).status == 200
    send(api, "a")
    send(api, "b")
    pipeline.drain()
    assert pipeline.timers.entries == {}  # nothing waits on the clock
    assert pipeline.email.sent == []
    send(api, "c")
    pipeline.drain()
    (dispatch,) = pipeline.email.sent
    assert "[a][b][c] of 3" in str(dispatch.rendered)


def test_a_count_schedule_without_a_count_threshold_is_a_400(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    every = {"schedule_id": "every", "frequency": "count"}
    answer = call(api, "PUT", "/preferences/topics/t", {"digest": {"schedules": [every]}})
    assert answer.status == 400
    assert [e["field"] for e in answer.body["errors"]] == ["digest.count_threshold"]


def test_a_user_on_the_instant_schedule_gets_each_send_at_once(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    choice = {"topic": {"status": "OPTED_IN", "digest_schedule_id": "now"}}
    assert call(api, "PUT", "/users/ada/preferences/comments", choice).status == 200
    got = call(api, "GET", "/users/ada/preferences/comments").body["topic"]
    assert got["digest_schedule_id"] == "now"
    send(api, "a")
    pipeline.drain()
    (dispatch,) = pipeline.email.sent
    assert "one comment: a" in str(dispatch.rendered)


def test_a_choice_of_a_schedule_the_topic_has_not_is_a_400(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    choice = {"topic": {"status": "OPTED_IN", "digest_schedule_id": "weekly"}}
    answer = call(api, "PUT", "/users/ada/preferences/comments", choice)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == "topic.digest_schedule_id"


def test_items_past_the_bound_are_counted_not_kept(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    for n in range(MAX_ITEMS_KEPT + 1):
        send(api, str(n))
    send(api, "big", filler="x" * MAX_ITEM_DATA_BYTES)
    pipeline.drain()
    record = pipeline.messages.get_message(WS, record_id())
    assert record is not None and record.digest is not None
    assert (len(record.digest.items), record.digest.count) == (MAX_ITEMS_KEPT, MAX_ITEMS_KEPT + 2)


def test_an_item_over_the_data_bound_is_kept_without_its_data(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    send(api, "small", filler="x" * (MAX_ITEM_DATA_BYTES - 64))
    send(api, "big", filler="x" * MAX_ITEM_DATA_BYTES)
    pipeline.drain()
    record = pipeline.messages.get_message(WS, record_id())
    assert record is not None and record.digest is not None
    small, big = record.digest.items
    assert small["text"] == "small" and big == {"data_omitted": f"over {MAX_ITEM_DATA_BYTES} bytes"}


def test_instances_list_each_users_open_window(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    assert call(api, "PUT", "/profiles/bob", {"profile": {"email": "bob@example.com"}}).status
    send(api, "a")
    send(api, "b")
    send(api, "c", user="bob")
    pipeline.drain()
    page = call(api, "GET", "/digests/schedules/daily-9/instances").body
    counts = {i["user_id"]: (i["event_count"], i["status"]) for i in page["items"]}
    assert counts == {"ada": (2, "IN_PROGRESS"), "bob": (1, "IN_PROGRESS")}
    assert (page["type"], page["has_more"], page["cursor"]) == ("list", False, None)
    first = call(api, "GET", "/digests/schedules/daily-9/instances", limit="1").body
    assert first["has_more"] and len(first["items"]) == 1
    rest = call(
        api, "GET", "/digests/schedules/daily-9/instances", limit="1", cursor=first["cursor"]
    ).body
    assert {first["items"][0]["user_id"], rest["items"][0]["user_id"]} == {"ada", "bob"}
    assert call(api, "POST", "/digests/schedules/daily-9/trigger").status == 204
    pipeline.drain()
    assert len(pipeline.email.sent) == 2
    after = call(api, "GET", "/digests/schedules/daily-9/instances").body["items"]
    assert {i["status"] for i in after} == {"COMPLETED"}


def test_an_unknown_schedule_is_a_404(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    assert call(api, "GET", "/digests/schedules/nope/instances").status == 404
    assert call(api, "POST", "/digests/schedules/nope/trigger").status == 404
    assert call(api, "GET", "/digests/schedules/daily-9/instances", limit="101").status == 400


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"schedule_id": "s", "frequency": "daily"}, "time"),
        ({"schedule_id": "s", "frequency": "daily", "time": "24:00"}, "time"),
        ({"schedule_id": "s", "frequency": "daily", "time": "9:00"}, "time"),
        ({"schedule_id": "s", "frequency": "hourly", "timezone": "Mars/Olympus"}, "timezone"),
        ({"schedule_id": "s", "frequency": "hourly", "timezone": "x" * 65}, "timezone"),
        ({"schedule_id": "s", "frequency": "minutes"}, "interval_minutes"),
        ({"schedule_id": "s", "frequency": "minutes", "interval_minutes": 0}, "interval_minutes"),
        ({"schedule_id": "s", "frequency": "fortnightly"}, "frequency"),
        ({"schedule_id": "s", "frequency": "weekly", "time": "09:00"}, "day_of_week"),
        (
            {"schedule_id": "s", "frequency": "monthly", "time": "09:00", "day_of_month": 32},
            "day_of_month",
        ),
        ({"schedule_id": "s", "frequency": "hourly", "time": "09:00"}, "time"),
        (
            {"schedule_id": "s", "frequency": "daily", "time": "09:00", "interval_minutes": 5},
            "interval_minutes",
        ),
        ({"schedule_id": "../x", "frequency": "hourly"}, "schedule_id"),
    ],
)
def test_a_malformed_schedule_is_a_400_naming_its_field(
    herald: tuple[Api, Pipeline], schedule: dict[str, Any], field: str
) -> None:
    api, _ = herald
    body = {"digest": {"schedules": [schedule]}}
    answer = call(api, "PUT", "/preferences/topics/t", body)
    assert answer.status == 400
    assert [e["field"] for e in answer.body["errors"]] == [f"digest.schedules[0].{field}"]


def test_a_daily_window_ends_at_the_time_in_the_users_profile_zone(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    profile = {"profile": {**ADA, "timezone": "Asia/Tokyo"}}
    assert call(api, "PUT", "/profiles/ada", profile).status < 300
    send(api, "a")
    pipeline.drain()
    (timer,) = pipeline.timers.entries.values()
    due = dt.datetime.fromtimestamp(timer.due_ms / 1000, ZoneInfo("Asia/Tokyo"))
    assert (due.hour, due.minute) == (9, 0)
    assert 0 < timer.due_ms - now_ms() <= 24 * 3600 * 1000


def test_a_window_whose_schedule_and_profile_name_no_zone_ends_in_the_workspaces(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    pipeline.workspaces.save_settings(WS, WorkspaceSettings(timezone="Asia/Kolkata"))
    send(api, "a")
    pipeline.drain()
    (timer,) = pipeline.timers.entries.values()
    due = dt.datetime.fromtimestamp(timer.due_ms / 1000, ZoneInfo("Asia/Kolkata"))
    assert (due.hour, due.minute) == (9, 0)
    # The profile's zone comes before the workspace's.
    profile = {"profile": {**ADA, "timezone": "Asia/Tokyo"}}
    assert call(api, "PUT", "/profiles/bob", profile).status < 300
    send(api, "b", user="bob")
    pipeline.drain()
    bobs = next(t for t in pipeline.timers.entries.values() if t.message_id == record_id("bob"))
    due = dt.datetime.fromtimestamp(bobs.due_ms / 1000, ZoneInfo("Asia/Tokyo"))
    assert (due.hour, due.minute) == (9, 0)


def test_a_workspace_zone_that_is_not_an_iana_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="IANA"):
        WorkspaceSettings(timezone="Mars/Olympus")


def test_a_user_opted_out_of_the_topic_gets_no_digest(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    assert (
        call(
            api, "PUT", "/users/ada/preferences/comments", {"topic": {"status": "OPTED_OUT"}}
        ).status
        == 200
    )
    request_id = send(api, "a")
    pipeline.drain()
    assert call(api, "GET", f"/messages/{request_id}").body["status"] == "UNDELIVERABLE"
    assert pipeline.messages.get_message(WS, record_id()) is None


def test_a_trigger_releases_at_most_its_bound_the_rest_keep_their_schedule(
    herald: tuple[Api, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, pipeline = herald
    monkeypatch.setattr(digesting, "MAX_TRIGGERED", 2)
    for user in ("u1", "u2", "u3"):
        assert call(api, "PUT", f"/profiles/{user}", {"profile": {"email": f"{user}@x.io"}}).status
        send(api, "a", user=user)
    pipeline.drain()
    assert call(api, "POST", "/digests/schedules/daily-9/trigger").status == 204
    pipeline.drain()
    assert len(pipeline.email.sent) == 2
    page = call(api, "GET", "/digests/schedules/daily-9/instances", limit="100").body
    assert sorted(i["event_count"] for i in page["items"]) == [0, 0, 1]


def test_a_choice_that_omits_the_schedule_keeps_it_and_null_clears_it(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    path = "/users/ada/preferences/comments"
    assert call(api, "PUT", path, {"topic": {"status": "OPTED_IN", "digest_schedule_id": "now"}})
    assert call(api, "PUT", path, {"topic": {"status": "OPTED_IN"}}).status == 200
    assert call(api, "GET", path).body["topic"]["digest_schedule_id"] == "now"
    cleared = {"topic": {"status": "OPTED_IN", "digest_schedule_id": None}}
    assert call(api, "PUT", path, cleared).status == 200
    assert "digest_schedule_id" not in call(api, "GET", path).body["topic"]


def section_topic(api: Api, **digest: Any) -> tuple[str, str]:
    """A topic of a section (Courier's workspace preferences) with a digest: its ids."""
    section = call(api, "POST", "/preferences/sections", {"name": "Activity"}).body["id"]
    body = {"name": "Comments", "default_status": "OPTED_IN"}
    topic_id = call(api, "POST", f"/preferences/sections/{section}/topics", body).body["id"]
    schedules = {"schedules": [DAILY, INSTANT], "template_id": "comments", **digest}
    answer = call(api, "PUT", f"/preferences/topics/{topic_id}", {"digest": schedules})
    assert answer.status == 200, answer.body
    return section, topic_id


def send_to(api: Api, topic_id: str, text: str, user: str = "ada") -> None:
    message = {
        "to": {"user_id": user},
        "template": "comment",
        "data": {"text": text},
        "preferences": {"subscription_topic_id": topic_id},
    }
    assert call(api, "POST", "/send", {"message": message}).status == 202


def test_a_users_digest_of_a_topic_is_released_once_however_often_asked(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    section, topic_id = section_topic(api)
    assert call(api, "PUT", "/profiles/bob", {"profile": {"email": "bob@x.io"}}).status < 300
    for text, user in (("a", "ada"), ("b", "ada"), ("x", "bob")):
        send_to(api, topic_id, text, user)
    pipeline.drain()
    release = f"/preferences/sections/{section}/topics/{topic_id}/digest/release"
    for _ in range(2):
        assert call(api, "POST", release, {"user_id": "ada"}).status == 204
    pipeline.drain()
    (dispatch,) = pipeline.email.sent  # ada's, once; bob's keeps its schedule
    assert dispatch.rendered is not None and "[a][b] of 2" in str(dispatch.rendered)
    # The timer of ada's released window finds nothing left to release.
    due = max(t.due_ms for t in pipeline.timers.entries.values())
    pipeline.services.digest.clock = lambda: due
    pipeline.fire_timers()
    pipeline.drain()
    assert sorted(
        d.rendered is not None and "[x] of 1" in str(d.rendered) for d in pipeline.email.sent
    ) == [False, True]
    assert call(api, "POST", release, {"user_id": "nobody"}).status == 204  # nothing held


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "user_id"), ({"user_id": "../x"}, "user_id"), ({"user_id": "a", "x": 1}, "x")],
)
def test_a_release_without_a_user_is_a_400_naming_it(
    herald: tuple[Api, Pipeline], body: dict[str, Any], field: str
) -> None:
    api, _ = herald
    section, topic_id = section_topic(api)
    path = f"/preferences/sections/{section}/topics/{topic_id}/digest/release"
    answer = call(api, "POST", path, body)
    assert answer.status == 400
    assert [e["field"] for e in answer.body["errors"]] == [field]


def test_a_topic_not_in_the_section_is_a_404(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    section, _ = section_topic(api)
    base = f"/preferences/sections/{section}/topics/comments/digest"  # no section's topic
    assert call(api, "POST", base + "/release", {"user_id": "ada"}).status == 404
    assert call(api, "DELETE", base).status == 404
    assert call(api, "DELETE", "/preferences/sections/nope/topics/comments/digest").status == 404


def test_turning_a_digest_off_keeps_the_topic_and_releases_what_it_held(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    section, topic_id = section_topic(api)
    send_to(api, topic_id, "a")
    pipeline.drain()
    path = f"/preferences/sections/{section}/topics/{topic_id}/digest"
    assert call(api, "DELETE", path).status == 204
    pipeline.drain()
    (released,) = pipeline.email.sent
    assert released.rendered is not None and "[a] of 1" in str(released.rendered)
    topic = call(api, "GET", f"/preferences/sections/{section}/topics/{topic_id}")
    assert topic.status == 200
    assert "digest" not in call(api, "GET", f"/preferences/topics/{topic_id}").body
    # A send to the topic now is sent at once; turning it off again changes nothing.
    send_to(api, topic_id, "b")
    assert call(api, "DELETE", path).status == 204
    pipeline.drain()
    assert len(pipeline.email.sent) == 2
    assert "one comment: b" in str(pipeline.email.sent[1].rendered)


def test_a_count_digest_left_held_when_its_topic_lost_it_stays_releasable(
    herald: tuple[Api, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, pipeline = herald
    every_3 = {"schedule_id": "every-3", "frequency": "count", "is_default": True}
    section, topic_id = section_topic(api, schedules=[every_3], count_threshold=3)
    send_to(api, topic_id, "a")
    pipeline.drain()
    # Its release on turning off is cut short (as by a crash after the topic was written).
    monkeypatch.setattr(digesting, "MAX_TRIGGERED", 0)
    assert call(api, "DELETE", f"/preferences/sections/{section}/topics/{topic_id}/digest")
    pipeline.drain()
    assert pipeline.email.sent == []
    monkeypatch.setattr(digesting, "MAX_TRIGGERED", 1000)
    page = call(api, "GET", "/digests/schedules/every-3/instances").body
    assert [i["event_count"] for i in page["items"]] == [1]
    assert call(api, "POST", "/digests/schedules/every-3/trigger").status == 204
    pipeline.drain()
    assert len(pipeline.email.sent) == 1


def test_an_item_whose_collection_push_was_lost_is_collected_after_a_sweep(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    digest = pipeline.consumers["digest"]
    pipeline.consumers["digest"] = lambda event: None  # every collection's push is lost
    ids = [send(api, t) for t in ("a", "b")]
    pipeline.drain()
    for event in pipeline.messages.outbox:  # relayed: only the pushes were lost
        pipeline.messages.mark_published(event.workspace, event.message_id, event.seq)
    items = [pipeline.messages.get_message(WS, i) for i in ids]
    assert [(m.status, m.awaiting_digest) for m in items if m] == [("DIGESTED", True)] * 2
    pipeline.consumers["digest"] = digest
    first = min(m.updated_ms or 0 for m in items if m)
    collected_at = max(m.updated_ms or 0 for m in items if m)
    stuck_ms, publisher = 60_000, InMemoryPublisher()

    def sweep_at(at_ms: int) -> int:
        return (
            SweepService(
                InMemorySweep(pipeline.messages),
                pipeline.messages,
                RelayService(pipeline.messages, publisher),
                unpublished_after_ms=stuck_ms,
                stuck_after_ms=stuck_ms,
                clock=lambda: at_ms,
            )
            .sweep()
            .redriven
        )

    assert sweep_at(first + stuck_ms) == 0  # at the threshold: not yet
    assert sweep_at(collected_at + stuck_ms + 1) == 2
    for published in publisher.messages:
        digest(EventEnvelope.model_validate_json(published.data))
    taken = [pipeline.messages.get_message(WS, i) for i in ids]
    assert [m.awaiting_digest for m in taken if m] == [False, False]
    assert sweep_at(collected_at + stuck_ms + 1) == 0  # taken: left alone from now on
    assert call(api, "POST", "/digests/schedules/daily-9/trigger").status == 204
    pipeline.drain()
    (dispatch,) = pipeline.email.sent
    assert "[a][b] of 2" in str(dispatch.rendered)


def test_an_item_collected_as_usual_is_taken_at_once(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    rid = send(api, "a")
    pipeline.drain()
    taken = pipeline.messages.get_message(WS, rid)
    assert taken is not None and (taken.status, taken.awaiting_digest) == ("DIGESTED", False)
