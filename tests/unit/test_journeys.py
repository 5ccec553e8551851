"""Journeys over the in-memory adapters: drafts, versions and publish, invoke on the
automations' engine, cancel, runs and their steps, and the nodes refused."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from herald.domain.automation import MAX_DURATION_CHARS
from herald.domain.journey import MAX_NAME_CHARS, courier_duration
from herald.errors import ValidationFailed
from herald.pipeline.journeys import MAX_NODES
from herald.resources.journeys import MAX_VERSIONS
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_automations import WS, herald

__all__ = ["herald"]  # the fixture

TRIGGER = {"type": "trigger", "trigger_type": "api-invoke", "id": "start"}
SEND = {"type": "send", "id": "hello", "message": {"template": "welcome"}}
WAIT = {"type": "delay", "id": "wait", "mode": "duration", "duration": "PT1H"}
EXIT = {"type": "exit", "id": "end"}


def create(api: Api, nodes: list[dict[str, Any]], **body: Any) -> Any:
    return call(api, "POST", "/journeys", {"name": "Onboarding", "nodes": nodes, **body})


def published(api: Api, nodes: list[dict[str, Any]], **body: Any) -> str:
    answer = create(api, nodes, state="PUBLISHED", **body)
    assert answer.status == 200, answer.body
    return str(answer.body["id"])


def invoke(api: Api, journey_id: str, **body: Any) -> Any:
    payload = {"user_id": "ada", "profile": {"email": "ada@example.com"}, **body}
    return call(api, "POST", f"/journeys/{journey_id}/invoke", payload)


def steps_of(api: Api, run_id: str) -> list[dict[str, Any]]:
    answer = call(api, "GET", f"/journeys/runs/{run_id}/steps")
    assert answer.status == 200, answer.body
    return list(answer.body["steps"])


def errors_of(response: Any) -> list[str]:
    assert response.status == 400, response.body
    return [e["field"] for e in response.body["errors"]]


def test_a_journey_is_a_draft_until_published_and_invoke_runs_the_published_version(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    draft = create(api, [TRIGGER, SEND, EXIT])
    assert draft.status == 200
    assert (draft.body["state"], draft.body["published"]) == ("DRAFT", None)
    journey_id = draft.body["id"]
    not_yet = invoke(api, journey_id)
    assert errors_of(not_yet) == ["template_id"]
    assert "no published version" in not_yet.body["message"]
    assert call(api, "GET", f"/journeys/{journey_id}").status == 404
    assert call(api, "GET", f"/journeys/{journey_id}", version="draft").status == 200
    live = call(api, "POST", f"/journeys/{journey_id}/publish", {})
    assert (live.status, live.body["state"]) == (200, "PUBLISHED")
    run_id = invoke(api, journey_id, data={"plan": "pro"}).body["runId"]
    pipeline.drain()
    run = call(api, "GET", f"/journeys/runs/{run_id}").body["run"]
    assert (run["status"], run["template_id"], run["source"]) == (
        "PROCESSED",
        journey_id,
        [f"invoke/{journey_id}"],
    )
    (step,) = steps_of(api, run_id)
    assert (step["action"], step["node_id"], step["status"]) == ("send", "hello", "PROCESSED")
    (dispatch,) = pipeline.email.sent
    assert dispatch.message_id == step["message_id"]
    message = call(api, "GET", f"/messages/{step['message_id']}").body
    assert message["automationRunId"] == run_id
    # One model of a run: the automations' view reads the same run.
    assert call(api, "GET", f"/automations/runs/{run_id}").body["status"] == "PROCESSED"


def test_a_replaced_draft_is_not_live_until_published_and_a_version_can_be_published_again(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    journey_id = published(api, [TRIGGER, SEND])
    second = {**SEND, "id": "second"}
    replaced = call(
        api, "PUT", f"/journeys/{journey_id}", {"name": "Two", "nodes": [TRIGGER, SEND, second]}
    )
    assert (replaced.status, len(replaced.body["nodes"])) == (200, 3)
    run_v1 = invoke(api, journey_id).body["runId"]
    assert call(api, "POST", f"/journeys/{journey_id}/publish").status == 200
    run_v2 = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    assert len(steps_of(api, run_v1)) == 1 and len(steps_of(api, run_v2)) == 2
    versions = call(api, "GET", f"/journeys/{journey_id}/versions").body
    assert [v["version"] for v in versions["results"]] == ["v2", "v1"]
    assert [v["name"] for v in versions["results"]] == ["Two", "Onboarding"]
    assert versions["paging"] == {"more": False, "cursor": None}
    rollback = call(api, "POST", f"/journeys/{journey_id}/publish", {"version": "v1"})
    assert (rollback.status, rollback.body["name"]) == (200, "Onboarding")
    run_again = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    assert len(steps_of(api, run_again)) == 1
    assert call(api, "GET", f"/journeys/{journey_id}", version="v2").body["name"] == "Two"
    assert call(api, "POST", f"/journeys/{journey_id}/publish", {"version": "v9"}).status == 404
    assert errors_of(call(api, "GET", f"/journeys/{journey_id}", version="latest")) == ["version"]


def test_journeys_are_listed_by_version_and_an_archived_one_cannot_be_invoked(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    live = published(api, [TRIGGER, SEND])
    draft = create(api, [SEND]).body["id"]
    listed = call(api, "GET", "/journeys").body
    assert [t["id"] for t in listed["templates"]] == [live]
    drafts = call(api, "GET", "/journeys", version="draft").body["templates"]
    assert sorted(t["id"] for t in drafts) == sorted([live, draft])
    run_id = invoke(api, live).body["runId"]
    assert call(api, "DELETE", f"/journeys/{live}").status == 204
    assert invoke(api, live).status == 404
    assert call(api, "GET", "/journeys").body["templates"] == []
    pipeline.drain()  # the run invoked before goes on
    assert call(api, "GET", f"/journeys/runs/{run_id}").body["run"]["status"] == "PROCESSED"


def test_a_disabled_journey_is_not_invoked(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    journey_id = published(api, [SEND], enabled=False)
    answer = invoke(api, journey_id)
    assert errors_of(answer) == ["template_id"] and "disabled" in answer.body["message"]


def test_a_delay_node_waits_on_the_durable_timer_and_cancel_by_token_stops_the_run(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    journey_id = published(
        api, [TRIGGER, SEND, WAIT, SEND], cancelation_token="order-{{data.order}}"
    )
    canceled = invoke(api, journey_id, data={"order": 42}).body["runId"]
    other = invoke(api, journey_id, data={"order": 43}).body["runId"]
    pipeline.drain()
    assert [s["status"] for s in steps_of(api, canceled)] == ["PROCESSED", "WAITING", "PENDING"]
    answer = call(api, "POST", "/journeys/cancel", {"cancelation_token": "order-42"})
    assert answer.body == {"cancelation_token": "order-42"}
    due = max(timer.due_ms for timer in pipeline.timers.entries.values())
    pipeline.services.automate.clock = lambda: due
    pipeline.fire_timers()
    assert call(api, "GET", f"/journeys/runs/{canceled}").body["run"]["status"] == "CANCELED"
    assert call(api, "GET", f"/journeys/runs/{other}").body["run"]["status"] == "PROCESSED"
    assert len(pipeline.email.sent) == 3  # two first sends, and the other run's second


def test_cancel_by_run_id_ends_the_run_now_and_a_finished_run_stays_as_it_ended(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    journey_id = published(api, [WAIT, SEND])
    waiting = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    answer = call(api, "POST", "/journeys/cancel", {"run_id": waiting})
    assert answer.body == {"run_id": waiting, "status": "CANCELED"}
    again = call(api, "POST", "/journeys/cancel", {"run_id": waiting})
    assert again.body == {"run_id": waiting, "status": "CANCELED"}
    assert [s["status"] for s in steps_of(api, waiting)] == ["CANCELED", "CANCELED"]
    pipeline.services.automate.clock = lambda: 2**62
    pipeline.fire_timers()
    assert pipeline.email.sent == []
    done = invoke(api, published(api, [SEND])).body["runId"]
    pipeline.drain()
    finished = call(api, "POST", "/journeys/cancel", {"run_id": done})
    assert finished.body == {"run_id": done, "status": "PROCESSED"}
    assert call(api, "POST", "/journeys/cancel", {"run_id": "nope"}).status == 404


def test_journey_runs_are_listed_apart_from_automation_runs(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    journey_id = published(api, [SEND])
    runs = {invoke(api, journey_id).body["runId"] for _ in range(3)}
    automation = call(
        api,
        "POST",
        "/automations/invoke",
        {"automation": {"steps": [{"action": "send", "template": "welcome"}]}, "recipient": "a"},
    ).body["runId"]
    pipeline.drain()
    first = call(api, "GET", "/journeys/runs", limit="2").body
    rest = call(api, "GET", "/journeys/runs", cursor=first["next_cursor"]).body
    listed = [r["run_id"] for r in first["runs"] + rest["runs"]]
    assert set(listed) == runs and len(listed) == 3 and rest["next_cursor"] is None
    assert call(api, "GET", f"/journeys/runs/{automation}").status == 404
    automation_runs = call(api, "GET", "/automations/runs").body["runs"]
    assert [r["run_id"] for r in automation_runs] == [automation]


def test_a_failed_fetch_node_names_its_error_in_the_steps(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    fetch = {"type": "fetch", "id": "f1", "method": "get", "url": "https://example.invalid/x"}
    fetch["merge_strategy"] = "overwrite"
    journey_id = published(api, [fetch, SEND])
    run_id = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    failed, pending = steps_of(api, run_id)
    assert (failed["action"], failed["node_id"], failed["status"]) == ("fetch", "f1", "ERROR")
    assert failed["error"]["message"].startswith("fetch-data:")
    assert pending["status"] == "PENDING" and pending["error"] is None


@pytest.mark.parametrize(
    ("nodes", "field"),
    [
        ([{"type": "branch", "paths": [], "default": {"nodes": []}}], "nodes[0].paths"),
        ([{"type": "ai"}], "nodes[0].type"),
        ([{"type": "batch", "scope": "user", "wait_period": "PT1M"}], "nodes[0].type"),
        ([{"type": "teleport"}], "nodes[0].type"),
        ([SEND, TRIGGER], "nodes[1].type"),
        ([{"type": "trigger", "trigger_type": "segment"}], "nodes[0].trigger_type"),
        ([EXIT, SEND], "nodes[0].type"),
        ([{**SEND, "conditions": ["data.vip", "is", "true"]}], "nodes[0].conditions[1]"),
        ([{**SEND, "message": {}}], "nodes[0].message.template"),
        (
            [{**SEND, "message": {"template": "w", "to": {"slack": {}}}}],
            "nodes[0].message.to.slack",
        ),
        (
            [{**SEND, "message": {"template": "w", "delay": {"until": "x"}}}],
            "nodes[0].message.delay",
        ),
        ([{**WAIT, "duration": "P1Y"}], "nodes[0].duration"),
        ([{**WAIT, "duration": "P31D"}], "nodes[0].duration"),
        ([{**WAIT, "mode": "later"}], "nodes[0].mode"),
        ([{"type": "fetch", "method": "get", "url": "http://127.0.0.1/x"}], "nodes[0].url"),
        (
            [{"type": "fetch", "method": "get", "url": "https://a.io", "body": "{}"}],
            "nodes[0].body",
        ),
        (
            [{"type": "throttle", "max_allowed": 0, "period": "PT1H", "scope": "user"}],
            "nodes[0].max_allowed",
        ),
        ([{**SEND, "color": "red"}], "nodes[0].color"),
        ([{**SEND, "id": "x" * 129}], "nodes[0].id"),
        ([SEND] * (MAX_NODES + 1), "nodes"),
    ],
)
def test_nodes_herald_cannot_run_are_refused_naming_the_field(
    herald: tuple[Api, Pipeline], nodes: list[dict[str, Any]], field: str
) -> None:
    api, _ = herald
    assert errors_of(create(api, nodes)) == [field]


def test_a_shell_of_a_journey_is_a_draft_that_cannot_be_published(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    shell = create(api, [TRIGGER])
    assert shell.status == 200
    refused = call(api, "POST", f"/journeys/{shell.body['id']}/publish", {})
    assert errors_of(refused) == ["nodes"]
    assert errors_of(create(api, [TRIGGER, EXIT], state="PUBLISHED")) == ["nodes"]


def test_journey_bounds_are_accepted_at_their_limits(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    most: list[dict[str, Any]] = [TRIGGER, *[{**SEND, "id": None}] * (MAX_NODES - 2), EXIT]
    assert create(api, most).status == 200
    assert create(api, [SEND], name="n" * MAX_NAME_CHARS).status == 200
    assert errors_of(create(api, [SEND], name="n" * (MAX_NAME_CHARS + 1))) == ["name"]
    assert create(api, [{**SEND, "id": "x" * 128}]).status == 200
    assert create(api, [{**WAIT, "duration": "P30D"}]).status == 200


def test_a_journey_keeps_its_versions_up_to_the_limit(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    journey_id = create(api, [SEND]).body["id"]
    for _ in range(MAX_VERSIONS):
        assert call(api, "POST", f"/journeys/{journey_id}/publish").status == 200
    assert errors_of(call(api, "POST", f"/journeys/{journey_id}/publish")) == ["template_id"]


def test_invoke_refuses_what_a_journey_invoke_does_not_take(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    journey_id = published(api, [SEND], cancelation_token="{{data.order}}")
    assert errors_of(invoke(api, journey_id, recipient="ada")) == ["recipient"]
    assert errors_of(invoke(api, journey_id, data=[1])) == ["data"]
    assert errors_of(invoke(api, journey_id, data={})) == ["cancelation_token"]  # renders empty
    no_user = call(api, "POST", f"/journeys/{journey_id}/invoke", {"data": {"order": 1}})
    assert errors_of(no_user) == ["journey.steps[0].recipient"]
    by_profile = call(
        api,
        "POST",
        f"/journeys/{journey_id}/invoke",
        {"profile": {"user_id": "ada", "email": "a@x.io"}, "data": {"order": 1}},
    )
    assert by_profile.status == 202
    assert call(api, "POST", "/journeys/nope/invoke", {"user_id": "ada"}).status == 404
    assert errors_of(create(api, [SEND], cancelation_token="{{#if}}")) == ["cancelation_token"]


def test_journeys_of_one_workspace_are_not_another_s(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    journey_id = published(api, [SEND])
    assert call(api, "GET", f"/journeys/{journey_id}", key="other-key").status == 404
    assert call(api, "GET", "/journeys", key="other-key").body["templates"] == []
    assert WS == "ws1"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT5M", 300), ("P1D", 86400), ("P1W", 604800), ("PT1H30M", 5400), ("P1DT1S", 86401)],
)
def test_iso_durations_are_read_as_seconds(text: str, seconds: int) -> None:
    assert courier_duration(text, "d") == f"{seconds} seconds"


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "P1Y", "PT1.5H", "P-1D", ""])
def test_unreadable_iso_durations_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        courier_duration(text, "d")


def test_an_iso_duration_is_read_up_to_its_length_limit() -> None:
    at_limit = "PT" + "0" * (MAX_DURATION_CHARS - 4) + "1S"
    assert courier_duration(at_limit, "d") == "1 seconds"
    with pytest.raises(ValidationFailed, match="longer than 64"):
        courier_duration("PT0" + at_limit.removeprefix("PT"), "d")


def test_a_publish_killed_before_its_version_was_written_leaves_a_gap_the_next_one_skips(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    journey_id = create(api, [SEND]).body["id"]
    put = pipeline.documents.put

    def killed(workspace: str, path: tuple[str, ...], document: dict[str, Any]) -> None:
        raise RuntimeError("killed before the version was written")

    pipeline.documents.put = killed  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        pipeline.api.services.journeys.publish(WS, journey_id, {})
    pipeline.documents.put = put  # type: ignore[method-assign]
    assert call(api, "GET", f"/journeys/{journey_id}").status == 404  # nothing published
    assert call(api, "POST", f"/journeys/{journey_id}/publish").status == 200
    versions = call(api, "GET", f"/journeys/{journey_id}/versions").body["results"]
    assert [v["version"] for v in versions] == ["v2"]
    assert call(api, "POST", f"/journeys/{journey_id}/publish", {"version": "v1"}).status == 404
    assert invoke(api, journey_id).status == 202
