"""Automations over the in-memory adapters: invoke, each step, exactly once, cancel, and
the bad input refused at invoke time."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from herald.api.http import Api, HttpRequest
from herald.clock import now_ms
from herald.domain.automation import MAX_DURATION_CHARS, MAX_STEPS, duration_ms
from herald.domain.send import MAX_DELAY_MS
from herald.events.registry import spec_for
from tests.unit.fakes import Pipeline
from tests.unit.test_api import KEY, call, make_api

WS = "ws1"
ADA = {"email": "ada@example.com"}


@pytest.fixture
def herald() -> tuple[Api, Pipeline]:
    api, pipeline = make_api()
    assert call(api, "PUT", "/templates/welcome", {"content": {"title": "Hi", "body": "B"}}).status
    return api, pipeline


def invoke(api: Api, steps: list[dict[str, Any]], **body: Any) -> Any:
    automation = {"steps": steps, **body.pop("automation", {})}
    return call(
        api,
        "POST",
        "/automations/invoke",
        {"automation": automation, "recipient": "ada", "profile": ADA, **body},
    )


def run_of(api: Api, run_id: str) -> dict[str, Any]:
    response = call(api, "GET", f"/automations/runs/{run_id}")
    assert response.status == 200
    body: dict[str, Any] = response.body
    return body


def sent(pipeline: Pipeline) -> list[str]:
    return [str(dispatch.message_id) for dispatch in pipeline.email.sent]


def test_a_send_step_sends_through_the_pipeline_and_the_run_names_the_message(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    answer = invoke(api, [{"action": "send", "template": "welcome"}])
    assert answer.status == 202
    run_id = answer.body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "PROCESSED"
    (step,) = run["steps"]
    assert (step["action"], step["status"]) == ("send", "PROCESSED")
    assert sent(pipeline) == [step["message_id"]]
    message = pipeline.messages.get_message(WS, step["message_id"])
    assert message is not None and message.automation_run_id == run_id
    assert call(api, "GET", f"/messages/{step['message_id']}").body["status"] == "SENT"
    steps = call(api, "GET", f"/automations/runs/{run_id}/steps").body["steps"]
    assert steps == run["steps"]


def test_the_run_is_not_listed_as_a_message(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    run_id = invoke(api, [{"action": "send", "template": "welcome"}]).body["runId"]
    pipeline.drain()
    listed = [m["id"] for m in call(api, "GET", "/messages").body["results"]]
    assert run_id not in listed and len(listed) == 1


def test_a_delay_waits_on_the_durable_timer_then_the_next_step_runs(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    steps = [
        {"action": "delay", "duration": "2 hours"},
        {"action": "send", "template": "welcome"},
    ]
    before = now_ms()
    run_id = invoke(api, steps).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "WAITING"
    assert [s["status"] for s in run["steps"]] == ["WAITING", "PENDING"]
    assert sent(pipeline) == []
    (timer,) = pipeline.timers.entries.values()
    assert timer.message_id == run_id
    assert before + 2 * 3600 * 1000 <= timer.due_ms <= now_ms() + 2 * 3600 * 1000
    # The timer's event, early (a redelivery): it waits again, nothing runs.
    pipeline.services.automate.handle(timer.envelope)
    assert sent(pipeline) == [] and len(pipeline.timers.entries) == 1
    pipeline.services.automate.clock = lambda: timer.due_ms
    pipeline.fire_timers()
    run = run_of(api, run_id)
    assert (run["status"], [s["status"] for s in run["steps"]]) == (
        "PROCESSED",
        ["PROCESSED", "PROCESSED"],
    )
    assert len(sent(pipeline)) == 1


def test_each_step_runs_once_when_every_event_is_delivered_twice(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    steps: list[dict[str, Any]] = [
        {"action": "send", "template": "welcome"},
        {"action": "update-profile", "profile": {"plan": "pro"}, "merge": "overwrite"},
        {"action": "send", "template": "welcome"},
    ]
    run_id = invoke(api, steps).body["runId"]
    automate = pipeline.consumers["automate"]
    pipeline.consumers["automate"] = lambda event: (automate(event), automate(event))[0]
    pipeline.drain()
    # And once more, every event of the run, after it ended.
    for event in pipeline.messages.history(WS, run_id):
        automate(event)
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "PROCESSED"
    made = [s["message_id"] for s in run["steps"] if s["action"] == "send"]
    assert len(set(made)) == 2 and sorted(sent(pipeline)) == sorted(made)
    history = [e.type for e in pipeline.messages.history(WS, run_id)]
    assert history == ["automation.invoked", "automation.step_due", "automation.step_due"]


def test_a_cancel_stops_a_waiting_run_before_its_next_step(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    waiting = invoke(
        api,
        [
            {"action": "send", "template": "welcome"},
            {"action": "delay", "duration": "1 day"},
            {"action": "send", "template": "welcome"},
        ],
        automation={"cancelation_token": "order-42"},
    ).body["runId"]
    pipeline.drain()
    assert len(sent(pipeline)) == 1
    canceling = invoke(api, [{"action": "cancel", "cancelation_token": "order-42"}])
    pipeline.drain()
    assert run_of(api, canceling.body["runId"])["status"] == "PROCESSED"
    (timer,) = pipeline.timers.entries.values()
    pipeline.services.automate.clock = lambda: timer.due_ms
    pipeline.fire_timers()
    run = run_of(api, waiting)
    assert run["status"] == "CANCELED"
    assert [s["status"] for s in run["steps"]] == ["PROCESSED", "CANCELED", "CANCELED"]
    assert len(sent(pipeline)) == 1  # the step already sent stays sent; nothing after
    # A run invoked with the token after the cancel is not canceled by it.
    later = invoke(
        api,
        [{"action": "send", "template": "welcome"}],
        automation={"cancelation_token": "order-42"},
    ).body["runId"]
    pipeline.drain()
    assert run_of(api, later)["status"] == "PROCESSED"


@pytest.mark.parametrize(
    ("merge", "expected"),
    [
        ("overwrite", {"email": "ada@example.com", "plan": "pro", "seats": 3}),
        ("soft-merge", {"email": "ada@example.com", "plan": "free", "seats": 3}),
        ("replace", {"plan": "pro", "seats": 3}),
        ("none", {"email": "ada@example.com", "plan": "free"}),
    ],
)
def test_update_profile_merges_as_asked(
    herald: tuple[Api, Pipeline], merge: str, expected: dict[str, Any]
) -> None:
    api, pipeline = herald
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com", "plan": "free"}})
    step = {"action": "update-profile", "profile": {"plan": "pro", "seats": 3}, "merge": merge}
    run_id = invoke(api, [step]).body["runId"]
    pipeline.drain()
    assert run_of(api, run_id)["status"] == "PROCESSED"
    assert call(api, "GET", "/profiles/ada").body["profile"] == expected


def test_update_profile_with_none_creates_a_missing_profile(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    step = {"action": "update-profile", "profile": {"plan": "pro"}, "merge": "none"}
    invoke(api, [step], recipient="bob")
    pipeline.drain()
    assert call(api, "GET", "/profiles/bob").body["profile"] == {"plan": "pro"}


def test_a_stored_template_is_invoked_listed_and_deleted(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    body = {
        "name": "Welcome series",
        "automation": {"steps": [{"action": "send", "template": "welcome"}]},
    }
    assert call(api, "PUT", "/automations/welcome-series", body).status == 204
    got = call(api, "GET", "/automations/welcome-series").body
    assert (got["name"], got["version"], got["automation"]) == (
        "Welcome series",
        "published",
        body["automation"],
    )
    listed = call(api, "GET", "/automations").body
    assert [t["id"] for t in listed["templates"]] == ["welcome-series"]
    assert listed["cursor"] is None
    answer = call(
        api,
        "POST",
        "/automations/welcome-series/invoke",
        {"recipient": "ada", "profile": ADA, "data": {"name": "Ada"}},
    )
    assert answer.status == 202
    pipeline.drain()
    run = run_of(api, answer.body["runId"])
    assert (run["status"], run["template_id"]) == ("PROCESSED", "welcome-series")
    assert len(sent(pipeline)) == 1
    assert call(api, "DELETE", "/automations/welcome-series").status == 204
    missing = call(api, "POST", "/automations/welcome-series/invoke", {"recipient": "ada"})
    assert missing.status == 404
    assert call(api, "PUT", "/automations/runs", body).status == 400


def test_runs_are_listed_in_pages(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    run_ids = {
        invoke(api, [{"action": "send", "template": "welcome"}]).body["runId"] for _ in "abc"
    }
    pipeline.drain()
    first = call(api, "GET", "/automations/runs", limit="2").body
    assert len(first["runs"]) == 2 and first["next_cursor"] is not None
    second = call(api, "GET", "/automations/runs", limit="2", cursor=first["next_cursor"]).body
    assert second["next_cursor"] is None
    listed = [r["run_id"] for r in first["runs"] + second["runs"]]
    assert set(listed) == run_ids and len(listed) == 3
    assert {r["status"] for r in first["runs"] + second["runs"]} == {"PROCESSED"}
    assert call(api, "GET", "/automations/runs", key="other-key").body["runs"] == []
    assert call(api, "GET", f"/automations/runs/{listed[0]}", key="other-key").status == 404


def test_an_invoke_honours_its_idempotency_key(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    body = {"automation": {"steps": [{"action": "send", "template": "welcome"}]}, "recipient": "a"}

    def post() -> Any:
        headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k1"}
        return api.handle(
            HttpRequest("POST", "/automations/invoke", headers, json.dumps(body).encode())
        )

    first, again = post(), post()
    assert first.status == again.status == 202
    assert first.body == again.body
    assert len(call(api, "GET", "/automations/runs").body["runs"]) == 1


def errors_of(response: Any) -> list[str]:
    assert response.status == 400, response.body
    return [e["field"] for e in response.body["errors"]]


def test_bad_steps_are_refused_naming_the_step_and_field(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    ok = {"action": "send", "template": "welcome"}
    cases: list[tuple[list[dict[str, Any]], str]] = [
        ([ok, {"action": "digest"}], "automation.steps[1].action"),
        ([{"action": "exit"}], "automation.steps[0].action"),  # a journey's, not Courier's
        ([{"action": "branch", "paths": [], "default": {}}], "automation.steps[0].action"),
        ([{"action": "delay", "duration": "5 fortnights"}], "automation.steps[0].duration"),
        ([{"action": "delay", "duration": "soon"}], "automation.steps[0].duration"),
        ([{"action": "delay"}], "automation.steps[0].duration"),
        ([ok, ok, {"action": "delay", "duration": "31 days"}], "automation.steps[2].duration"),
        ([{"action": "delay", "until": "tomorrow"}], "automation.steps[0].until"),
        ([{"action": "delay", "until": "2026-12-01T09:00:00"}], "automation.steps[0].until"),
        ([{"action": "send"}], "automation.steps[0].template"),
        ([{"action": "send", "template": "welcome", "x": 1}], "automation.steps[0].x"),
        ([{"action": "cancel"}], "automation.steps[0].cancelation_token"),
        (
            [{"action": "update-profile", "profile": {}, "merge": "all"}],
            "automation.steps[0].merge",
        ),
        ([], "automation.steps"),
        ([ok] * (MAX_STEPS + 1), "automation.steps"),
    ]
    for steps, field in cases:
        assert errors_of(invoke(api, steps)) == [field], steps
    no_recipient = call(api, "POST", "/automations/invoke", {"automation": {"steps": [ok]}})
    assert errors_of(no_recipient) == ["automation.steps[0].recipient"]
    assert errors_of(invoke(api, [ok], surprise=1)) == ["surprise"]
    assert errors_of(invoke(api, [ok], recipient="__x__")) == ["recipient"]
    long_token = {"cancelation_token": "t" * 257}
    assert errors_of(invoke(api, [ok], automation=long_token)) == ["automation.cancelation_token"]


def test_delays_are_accepted_up_to_the_longest_delay_and_no_further(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    assert duration_ms("30 days") == MAX_DELAY_MS
    assert invoke(api, [{"action": "delay", "duration": "30 days"}]).status == 202
    assert invoke(api, [{"action": "delay", "duration": "720 hours"}]).status == 202
    assert errors_of(invoke(api, [{"action": "delay", "duration": "721 hours"}])) == [
        "automation.steps[0].duration"
    ]
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=29, hours=23)
    late = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30, minutes=1)
    assert invoke(api, [{"action": "delay", "until": soon.isoformat()}]).status == 202
    assert errors_of(invoke(api, [{"action": "delay", "until": late.isoformat()}])) == [
        "automation.steps[0].until"
    ]
    padded = "5" + " " * (MAX_DURATION_CHARS - len("5minutes")) + "minutes"
    assert len(padded) == MAX_DURATION_CHARS
    assert invoke(api, [{"action": "delay", "duration": padded}]).status == 202
    too_long = invoke(api, [{"action": "delay", "duration": padded + "s"}])
    assert errors_of(too_long) == ["automation.steps[0].duration"]
    assert "longer than" in too_long.body["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("5 minutes", 300_000),
        ("1 minute", 60_000),
        ("2 hours", 7_200_000),
        ("1 day", 86_400_000),
        ("1 week", 604_800_000),
        ("30 seconds", 30_000),
        ("2 Hours", 7_200_000),
    ],
)
def test_courier_durations_read_as_milliseconds(text: str, ms: int) -> None:
    assert duration_ms(text) == ms


def test_the_events_are_consumed_by_automate_alone() -> None:
    for name in ("automation.invoked", "automation.step_due"):
        assert spec_for(name).consumers == ("automate",)
