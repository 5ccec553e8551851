"""The automation steps beyond send and delay: fetch-data (against a local HTTP server,
through the SSRF-checked exchange), invoke, send-list, and each step's ``if``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from herald.api.http import Api
from herald.domain.automation import (
    MAX_FETCH_BODY_CHARS,
    MAX_INVOKE_DEPTH,
)
from herald.domain.send import MAX_CONDITION_CHARS
from herald.pipeline.automating import MAX_RUN_DATA_BYTES
from herald.pipeline.automation_fetch import MAX_FETCH_ANSWER_BYTES, HttpDataFetcher
from herald.pipeline.automation_throttle import Throttles
from herald.store.documents import InMemoryDocuments
from tests.data_server import Answer, DataServer, serving
from tests.unit.fakes import Pipeline, settings_with
from tests.unit.test_api import call, make_api

WS = "ws1"
ADA = {"email": "ada@example.com"}


@pytest.fixture
def server() -> Iterator[DataServer]:
    with serving() as state:
        yield state


def herald_with(**settings: Any) -> tuple[Api, Pipeline]:
    api, pipeline = make_api(settings_with(**settings))
    content = {"title": "Hi", "body": "{{plan}} {{seats}}"}
    assert call(api, "PUT", "/templates/welcome", {"content": content}).status == 200
    return api, pipeline


@pytest.fixture
def herald() -> tuple[Api, Pipeline]:
    """The local stack's allowance: fetch-data may reach the server on loopback."""
    return herald_with(webhook_allow_private=True)


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


def errors_of(response: Any) -> list[str]:
    assert response.status == 400, response.body
    return [e["field"] for e in response.body["errors"]]


def fetch(url: str, **more: Any) -> dict[str, Any]:
    return {"action": "fetch-data", "webhook": {"method": "GET", "url": url}, **more}


SEND = {"action": "send", "template": "welcome"}


def sent_data(pipeline: Pipeline, api: Api, run_id: str) -> list[dict[str, Any]]:
    ids = [s["message_id"] for s in run_of(api, run_id)["steps"] if s["action"] == "send"]
    found = [pipeline.messages.get_message(WS, i) for i in ids if i]
    return [m.data for m in found if m is not None]


def kill_each_step_before_it_commits(pipeline: Pipeline) -> None:
    """Each step's work is done, then its function is killed before the step's transition
    commits; the event comes again, and again after that."""
    commit = pipeline.messages.transition
    killed: set[str] = set()

    def killed_once(*args: Any, **kwargs: Any) -> Any:
        if args[2] == "automate" and args[3] not in killed:
            killed.add(args[3])
            raise RuntimeError("killed before the transition committed")
        return commit(*args, **kwargs)

    pipeline.messages.transition = killed_once  # type: ignore[method-assign]
    automate = pipeline.consumers["automate"]

    def redelivered(event: Any) -> None:
        with pytest.raises(RuntimeError):
            automate(event)
        automate(event)
        automate(event)

    pipeline.consumers["automate"] = redelivered


# --- fetch-data ---------------------------------------------------------------------------


def test_fetch_data_calls_the_url_as_written_and_merges_the_answer_into_the_data(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    server.answers["/plan"] = Answer(body=b'{"plan": "pro", "seats": 3}')
    step = {
        "action": "fetch-data",
        "webhook": {
            "method": "POST",
            "url": server.url("/plan"),
            "body": '{"user": "ada"}',
            "headers": {"authorization": "Bearer s3cret"},
        },
        "merge_strategy": "overwrite",
    }
    run_id = invoke(api, [step, SEND], data={"plan": "free", "order": 42}).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "PROCESSED", run
    assert [s["status"] for s in run["steps"]] == ["PROCESSED", "PROCESSED"]
    (seen,) = server.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/plan", b'{"user": "ada"}')
    assert seen.headers["authorization"] == "Bearer s3cret"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["accept"] == "application/json"
    assert sent_data(pipeline, api, run_id) == [{"plan": "pro", "seats": 3, "order": 42}]
    (mail,) = pipeline.email.sent
    assert "pro 3" in json.dumps(mail.rendered)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("replace", {"plan": "pro", "seats": 3}),
        ("overwrite", {"plan": "pro", "seats": 3, "order": 42}),
        ("soft-merge", {"plan": "free", "seats": 3, "order": 42}),
        ("none", {"plan": "free", "order": 42}),
    ],
)
def test_fetch_data_merges_by_its_strategy(
    herald: tuple[Api, Pipeline], server: DataServer, strategy: str, expected: dict[str, Any]
) -> None:
    api, pipeline = herald
    server.answers["/plan"] = Answer(body=b'{"plan": "pro", "seats": 3}')
    steps = [fetch(server.url("/plan"), merge_strategy=strategy), SEND]
    run_id = invoke(api, steps, data={"plan": "free", "order": 42}).body["runId"]
    pipeline.drain()
    assert sent_data(pipeline, api, run_id) == [expected]


def test_fetch_data_with_none_takes_the_answer_when_the_run_has_no_data(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    server.answers["/plan"] = Answer(body=b'{"plan": "pro"}')
    run_id = invoke(api, [fetch(server.url("/plan"), merge_strategy="none"), SEND]).body["runId"]
    pipeline.drain()
    assert sent_data(pipeline, api, run_id) == [{"plan": "pro"}]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(500, b'{"error": "down"}'), "HTTP 500"),
        (Answer(404, b"{}"), "HTTP 404"),
        (Answer(200, b"<html>", "text/html"), "answered no JSON"),
        (Answer(200, b"[1, 2]"), "not an object"),
        (Answer(200, b"[" * 5000 + b"]" * 5000), "answered no JSON"),
        (Answer(200, b'{"a": [[1]]}'), "cannot keep"),
    ],
)
def test_a_failed_fetch_fails_its_step_with_the_reason_once_and_the_run_stops(
    herald: tuple[Api, Pipeline], server: DataServer, answer: Answer, reason: str
) -> None:
    api, pipeline = herald
    server.answers["/plan"] = answer
    run_id = invoke(api, [fetch(server.url("/plan")), SEND]).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "ERROR"
    failed, after = run["steps"]
    assert (failed["status"], after["status"]) == ("ERROR", "PENDING")
    assert reason in failed["error"] and reason in run["reason"]
    assert run["reason"].startswith("step 0: fetch-data")
    assert len(server.seen) == 1  # never retried
    assert pipeline.email.sent == [] and pipeline.timers.entries == {}


def test_a_fetch_answer_is_read_up_to_its_limit_and_refused_past_it(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    padding = MAX_FETCH_ANSWER_BYTES - len(b'{"pad": ""}')
    server.answers["/full"] = Answer(body=b'{"pad": "' + b"x" * padding + b'"}')
    server.answers["/over"] = Answer(body=b'{"pad": "' + b"x" * (padding + 1) + b'"}')
    assert len(server.answers["/full"].body) == MAX_FETCH_ANSWER_BYTES
    full = invoke(api, [fetch(server.url("/full"))]).body["runId"]
    over = invoke(api, [fetch(server.url("/over"))]).body["runId"]
    pipeline.drain()
    assert run_of(api, full)["status"] == "PROCESSED"
    refused = run_of(api, over)
    assert refused["status"] == "ERROR"
    assert f"more than {MAX_FETCH_ANSWER_BYTES:,} bytes" in refused["steps"][0]["error"]


def test_the_runs_data_stays_within_its_limit(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    server.answers["/a"] = Answer(body=json.dumps({"a": "x" * 60_000}).encode())
    server.answers["/b"] = Answer(body=json.dumps({"b": "x" * 60_000}).encode())
    server.answers["/c"] = Answer(body=json.dumps({"c": "x" * 60_000}).encode())
    steps = [fetch(server.url(p), merge_strategy="overwrite") for p in ("/a", "/b", "/c")]
    run_id = invoke(api, steps).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert [s["status"] for s in run["steps"]] == ["PROCESSED", "PROCESSED", "ERROR"]
    assert f"at most {MAX_RUN_DATA_BYTES:,}" in run["steps"][2]["error"]


def test_a_fetch_that_does_not_answer_in_time_fails_its_step(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    pipeline.services.automate.fetcher = HttpDataFetcher(timeout_s=0.2, allow_private=True)
    run_id = invoke(api, [fetch(server.url("/hang")), SEND]).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "ERROR"
    assert "no answer" in run["steps"][0]["error"]
    assert pipeline.email.sent == []


def test_a_fetch_answered_a_byte_at_a_time_is_cut_off_when_its_time_is_up(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    # Each byte comes well within a wait of 5 s; the whole answer would take 20 s.
    pipeline.services.automate.fetcher = HttpDataFetcher(
        timeout_s=5, allow_private=True, within_s=0.3
    )
    run_id = invoke(api, [fetch(server.url("/trickle")), SEND]).body["runId"]
    pipeline.drain()
    sent_by_then = server.trickled
    run = run_of(api, run_id)
    assert run["status"] == "ERROR"
    assert "no complete answer from 127.0.0.1 within 0.3s" in run["steps"][0]["error"]
    assert 0 < sent_by_then < 1000
    assert pipeline.email.sent == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://169.254.169.254/computeMetadata/v1/",
        "http://[::1]/x",
        "http://10.0.0.8/x",
        "http://localhost/x",
        "http://[::ffff:127.0.0.1]/x",
    ],
)
def test_fetch_data_to_a_private_address_is_refused_when_invoked(url: str) -> None:
    api, _ = herald_with()  # the default: no private destinations
    assert errors_of(invoke(api, [SEND, fetch(url)])) == ["automation.steps[1].webhook.url"]


def test_a_name_that_resolves_to_a_private_address_fails_the_step_when_it_runs() -> None:
    api, pipeline = herald_with()
    resolved: list[str] = []

    def metadata(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["169.254.169.254"]

    pipeline.services.automate.fetcher = HttpDataFetcher(resolver=metadata)
    run_id = invoke(api, [fetch("http://data.example.com/plan"), SEND]).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert resolved == ["data.example.com"]
    assert run["status"] == "ERROR"
    assert "private or reserved address; refused" in run["steps"][0]["error"]
    assert pipeline.email.sent == []


def test_bad_fetch_steps_are_refused_naming_the_field() -> None:
    api, _ = herald_with()
    url = "https://data.example.com/x"
    cases: list[tuple[dict[str, Any], str]] = [
        (fetch("ftp://data.example.com/x"), "automation.steps[0].webhook.url"),
        (fetch("https:///nohost"), "automation.steps[0].webhook.url"),
        (fetch("https://a.example/" + "x" * 2048), "automation.steps[0].webhook.url"),
        ({"action": "fetch-data", "webhook": {"url": url}}, "automation.steps[0].webhook.method"),
        (fetch(url, merge_strategy="deep"), "automation.steps[0].merge_strategy"),
        (
            {
                "action": "fetch-data",
                "webhook": {"method": "GET", "url": url, "headers": {"a b": "c"}},
            },
            "automation.steps[0].webhook.headers",
        ),
        (
            {
                "action": "fetch-data",
                "webhook": {"method": "GET", "url": url, "body": "x" * (MAX_FETCH_BODY_CHARS + 1)},
            },
            "automation.steps[0].webhook.body",
        ),
        ({"action": "fetch-data"}, "automation.steps[0].webhook"),
    ]
    for step, expected in cases:
        assert errors_of(invoke(api, [step])) == [expected], step


def test_each_fetch_merges_once_when_every_event_is_delivered_twice(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    server.answers["/n"] = Answer(body=b'{"items": ["a"]}')
    run_id = invoke(api, [fetch(server.url("/n"), merge_strategy="overwrite"), SEND]).body["runId"]
    automate = pipeline.consumers["automate"]
    pipeline.consumers["automate"] = lambda event: (automate(event), automate(event))[0]
    pipeline.drain()
    for event in pipeline.messages.history(WS, run_id):
        automate(event)
    pipeline.drain()
    assert run_of(api, run_id)["status"] == "PROCESSED"
    assert len(pipeline.email.sent) == 1
    # The second delivery of the step's event found its receipt after the first one's
    # transition: the call is made once, the merge applied once.
    assert len(server.seen) == 1
    assert sent_data(pipeline, api, run_id) == [{"items": ["a"]}]


# --- invoke ---------------------------------------------------------------------------------


def put_automation(api: Api, template_id: str, steps: list[dict[str, Any]]) -> Any:
    return call(
        api,
        "PUT",
        f"/automations/{template_id}",
        {"name": template_id, "automation": {"steps": steps}},
    )


def test_an_invoke_step_starts_a_run_of_the_stored_automation_with_the_runs_context(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert put_automation(api, "follow-up", [SEND]).status == 204
    run_id = invoke(
        api, [{"action": "invoke", "template": "follow-up"}, SEND], data={"plan": "pro"}
    ).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "PROCESSED"
    child_id = run["steps"][0]["run_id"]
    child = run_of(api, child_id)
    assert (child["status"], child["template_id"], child["parent_run_id"]) == (
        "PROCESSED",
        "follow-up",
        run_id,
    )
    assert sent_data(pipeline, api, child_id) == [{"plan": "pro"}]
    assert len(pipeline.email.sent) == 2
    listed = {r["run_id"] for r in call(api, "GET", "/automations/runs").body["runs"]}
    assert listed == {run_id, child_id}


def test_an_invoke_step_starts_its_run_once_when_every_event_is_delivered_twice(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert put_automation(api, "follow-up", [SEND]).status == 204
    run_id = invoke(api, [{"action": "invoke", "template": "follow-up"}]).body["runId"]
    automate = pipeline.consumers["automate"]
    pipeline.consumers["automate"] = lambda event: (automate(event), automate(event))[0]
    pipeline.drain()
    assert len(pipeline.email.sent) == 1
    assert run_of(api, run_id)["status"] == "PROCESSED"
    assert len(call(api, "GET", "/automations/runs").body["runs"]) == 2


def test_invoke_cycles_are_refused_when_stored_and_when_invoked(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    assert put_automation(api, "a", [SEND]).status == 204
    assert put_automation(api, "b", [SEND, {"action": "invoke", "template": "a"}]).status == 204
    # a -> b -> a: refused when a is stored again, naming a's step that invokes b.
    refused = put_automation(api, "a", [{"action": "invoke", "template": "b"}])
    assert errors_of(refused) == ["automation.steps[0].template"]
    assert "cycle" in refused.body["errors"][0]["reason"]
    itself = put_automation(api, "c", [SEND, {"action": "invoke", "template": "c"}])
    assert errors_of(itself) == ["automation.steps[1].template"]
    missing = invoke(api, [SEND, {"action": "invoke", "template": "nope"}])
    assert errors_of(missing) == ["automation.steps[1].template"]


def test_invokes_nest_to_the_depth_limit_and_no_deeper(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    # level-1 sends; level-n invokes level-(n-1): invoking level-n nests n runs below.
    assert put_automation(api, "level-1", [SEND]).status == 204
    for n in range(2, MAX_INVOKE_DEPTH + 2):
        steps = [{"action": "invoke", "template": f"level-{n - 1}"}]
        assert put_automation(api, f"level-{n}", steps).status == 204
    deepest = invoke(api, [{"action": "invoke", "template": f"level-{MAX_INVOKE_DEPTH}"}])
    assert deepest.status == 202
    too_deep = invoke(
        api, [SEND, {"action": "invoke", "template": f"level-{MAX_INVOKE_DEPTH + 1}"}]
    )
    assert errors_of(too_deep) == ["automation.steps[1].template"]
    assert "at most 5 deep" in too_deep.body["errors"][0]["reason"]
    # A stored automation is its run's first level: level-6's runs nest 5 deep below it.
    stored = call(
        api,
        "POST",
        f"/automations/level-{MAX_INVOKE_DEPTH + 1}/invoke",
        {"recipient": "ada", "profile": ADA},
    )
    assert stored.status == 202
    over = [{"action": "invoke", "template": f"level-{MAX_INVOKE_DEPTH + 1}"}]
    assert errors_of(put_automation(api, "level-7", over)) == ["automation.steps[0].template"]
    pipeline.drain()
    assert len(pipeline.email.sent) == 2
    runs = call(api, "GET", "/automations/runs", limit="50").body["runs"]
    assert len(runs) == 2 * (MAX_INVOKE_DEPTH + 1)
    assert {r["status"] for r in runs} == {"PROCESSED"}


def test_an_invoke_of_a_template_deleted_since_fails_its_step(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert put_automation(api, "follow-up", [SEND]).status == 204
    run_id = invoke(api, [{"action": "invoke", "template": "follow-up"}, SEND]).body["runId"]
    assert call(api, "DELETE", "/automations/follow-up").status == 204
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "ERROR"
    assert "no automation template 'follow-up'" in run["steps"][0]["error"]
    assert pipeline.email.sent == []


def test_a_cycle_made_after_the_invoke_fails_the_invoke_step(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert put_automation(api, "a", [{"action": "delay", "duration": "1 hour"}]).status == 204
    assert put_automation(api, "b", [{"action": "invoke", "template": "a"}]).status == 204
    run_id = call(api, "POST", "/automations/b/invoke", {"recipient": "ada"}).body["runId"]
    # a is changed behind the checks (as by a store written before them): a -> b.
    pipeline.documents.put(
        WS,
        ("automations", "a"),
        {"name": "a", "steps": [{"action": "invoke", "template": "b"}]},
    )
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "ERROR" and "cycle of automations (b -> a -> b)" in run["reason"]
    assert len(call(api, "GET", "/automations/runs").body["runs"]) == 1


# --- send-list --------------------------------------------------------------------------


def test_a_send_list_step_fans_out_as_a_list_send_and_names_its_record(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert call(api, "PUT", "/lists/news", {"name": "News"}).status == 204
    for user in ("u1", "u2", "u3"):
        call(api, "POST", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com"}})
        assert call(api, "PUT", f"/lists/news/subscriptions/{user}").status == 204
    step = {"action": "send-list", "list": "news", "data": {"plan": "team"}}
    run_id = invoke(api, [step], template="welcome").body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "PROCESSED"
    record_id = run["steps"][0]["message_id"]
    assert record_id is not None
    assert sorted(d.recipient["email"] for d in pipeline.email.sent) == [
        "u1@example.com",
        "u2@example.com",
        "u3@example.com",
    ]
    record = call(api, "GET", f"/messages/{record_id}").body
    assert record["automationRunId"] == run_id


def test_a_send_list_steps_messages_lead_back_to_the_run_and_a_missing_list_sends_none(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert call(api, "PUT", "/lists/news", {"name": "News"}).status == 204
    call(api, "POST", "/profiles/u1", {"profile": {"email": "u1@example.com"}})
    assert call(api, "PUT", "/lists/news/subscriptions/u1").status == 204
    steps: list[dict[str, Any]] = [
        {"action": "send-list", "list": "news"},
        {"action": "send-list", "list": "nobody"},
    ]
    run_id = invoke(api, steps, template="welcome").body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert [s["status"] for s in run["steps"]] == ["PROCESSED", "PROCESSED"]
    (dispatch,) = pipeline.email.sent
    member = call(api, "GET", f"/messages/{dispatch.message_id}").body
    # A member's message names the list send it came from, which names the run.
    assert member["requestId"] == run["steps"][0]["message_id"]
    assert call(api, "GET", f"/messages/{member['requestId']}").body["automationRunId"] == run_id
    gone = call(api, "GET", f"/messages/{run['steps'][1]['message_id']}").body
    assert gone["automationRunId"] == run_id


def test_bad_send_list_steps_are_refused(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    assert errors_of(invoke(api, [{"action": "send-list"}])) == ["automation.steps[0].list"]
    no_template = {"action": "send-list", "list": "news"}
    assert errors_of(invoke(api, [no_template])) == ["automation.steps[0].template"]
    bad_list = {"action": "send-list", "list": "__x", "template": "welcome"}
    assert errors_of(invoke(api, [bad_list])) == ["automation.steps[0]"]


# --- if ---------------------------------------------------------------------------------


def test_a_step_runs_only_when_its_if_is_true(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    steps: list[dict[str, Any]] = [
        {**SEND, "if": "data.vip"},
        {**SEND, "if": '{{eq data.plan "pro"}}'},
        {**SEND, "if": "profile.email"},
        {"action": "update-profile", "profile": {"x": 1}, "if": "data.nothing"},
    ]
    run_id = invoke(api, steps, data={"plan": "pro"}).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "PROCESSED"
    assert [s["status"] for s in run["steps"]] == ["SKIPPED", "PROCESSED", "PROCESSED", "SKIPPED"]
    assert run["steps"][0]["message_id"] is None
    assert len(pipeline.email.sent) == 2
    assert call(api, "GET", "/profiles/ada").status == 404


def test_an_if_sees_what_a_fetch_merged(herald: tuple[Api, Pipeline], server: DataServer) -> None:
    api, pipeline = herald
    server.answers["/status"] = Answer(body=b'{"confirmed": true}')
    steps = [
        fetch(server.url("/status"), merge_strategy="overwrite"),
        {**SEND, "if": "{{not data.confirmed}}"},
        {**SEND, "if": "data.confirmed"},
    ]
    run_id = invoke(api, steps).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert [s["status"] for s in run["steps"]] == ["PROCESSED", "SKIPPED", "PROCESSED"]


def test_an_if_that_cannot_be_read_is_refused_and_one_that_fails_fails_its_step(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    assert errors_of(invoke(api, [SEND, {**SEND, "if": "{{#if x}}"}])) == ["automation.steps[1].if"]
    assert errors_of(invoke(api, [{**SEND, "if": ""}])) == ["automation.steps[0].if"]
    longest = "data.x" + " " * (MAX_CONDITION_CHARS - len("data.x"))
    assert invoke(api, [{**SEND, "if": longest}]).status == 202
    assert errors_of(invoke(api, [{**SEND, "if": longest + " "}])) == ["automation.steps[0].if"]
    # A block is no expression: refused too.
    block = "{{#if data.x}}yes{{/if}}"
    assert errors_of(invoke(api, [{**SEND, "if": block}])) == ["automation.steps[0].if"]
    # Read, but failing on the run's data: the step fails with the reason, nothing sent.
    pipeline.email.sent.clear()
    failing = '{{condition data.plan "~" "pro"}}'
    run_id = invoke(api, [{**SEND, "if": failing}], data={"plan": "pro"}).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert run["status"] == "ERROR" and run["steps"][0]["error"].startswith("if: ")
    assert "unsupported operator" in run["steps"][0]["error"]
    assert pipeline.email.sent == []


# --- the message names its run ----------------------------------------------------------


def test_a_message_a_run_sent_names_the_run(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    run_id = invoke(api, [SEND]).body["runId"]
    pipeline.drain()
    (step,) = run_of(api, run_id)["steps"]
    assert call(api, "GET", f"/messages/{step['message_id']}").body["automationRunId"] == run_id
    direct = call(
        api,
        "POST",
        "/send",
        {"message": {"to": {"email": "b@example.com"}, "content": {"body": "x"}}},
    )
    pipeline.drain()
    plain = call(api, "GET", f"/messages/{direct.body['requestId']}").body
    assert plain["automationRunId"] is None


def test_each_step_is_applied_once_when_killed_before_it_commits(
    herald: tuple[Api, Pipeline], server: DataServer
) -> None:
    api, pipeline = herald
    server.answers["/n"] = Answer(body=b'{"plan": "pro"}')
    assert put_automation(api, "follow-up", [SEND]).status == 204
    assert call(api, "PUT", "/lists/news", {"name": "News"}).status == 204
    call(api, "POST", "/profiles/u1", {"profile": {"email": "u1@example.com"}})
    assert call(api, "PUT", "/lists/news/subscriptions/u1").status == 204
    kill_each_step_before_it_commits(pipeline)
    steps: list[dict[str, Any]] = [
        fetch(server.url("/n"), merge_strategy="overwrite"),
        {**SEND, "if": '{{eq data.plan "pro"}}'},
        {"action": "invoke", "template": "follow-up"},
        {"action": "send-list", "list": "news", "template": "welcome"},
    ]
    run_id = invoke(api, steps, data={"plan": "free"}).body["runId"]
    pipeline.drain()
    run = run_of(api, run_id)
    assert [s["status"] for s in run["steps"]] == ["PROCESSED"] * 4
    # The fetch was made again by the redelivery (its answer merged once); each message
    # and the invoked run were made once.
    assert len(server.seen) == 2
    recipients = sorted(d.recipient["email"] for d in pipeline.email.sent)
    assert recipients == ["ada@example.com", "ada@example.com", "u1@example.com"]
    assert len(call(api, "GET", "/automations/runs").body["runs"]) == 2


# --- throttle -------------------------------------------------------------------------------


def throttle(**fields: Any) -> dict[str, Any]:
    # A week's window: runs invoked together are not split by a window's end.
    return {"action": "throttle", "max_allowed": 2, "period": "1 week", **fields}


def test_a_throttle_lets_through_its_limit_per_recipient_and_ends_the_rest(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    runs = [invoke(api, [throttle(), SEND]).body["runId"] for _ in range(4)]
    bob = invoke(api, [throttle(), SEND], recipient="bob", profile={"email": "b@example.com"})
    pipeline.drain()
    statuses = [run_of(api, r)["status"] for r in runs]
    assert sorted(statuses) == ["PROCESSED", "PROCESSED", "THROTTLED", "THROTTLED"]
    throttled = [run_of(api, r) for r in runs if run_of(api, r)["status"] == "THROTTLED"]
    for run in throttled:
        assert [s["status"] for s in run["steps"]] == ["THROTTLED", "PENDING"]
        assert run["reason"] == "step 0: throttled, at most 2 per 1 week (user)"
    assert run_of(api, bob.body["runId"])["status"] == "PROCESSED"  # his own allowance
    assert len(pipeline.email.sent) == 3


def test_a_throttle_counts_each_run_once_when_killed_before_it_commits_and_redelivered(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    kill_each_step_before_it_commits(pipeline)
    runs = [invoke(api, [throttle(max_allowed=3), SEND]).body["runId"] for _ in range(5)]
    pipeline.drain()
    for run_id in runs:  # and once more, after the runs ended
        for event in pipeline.messages.history(WS, run_id):
            pipeline.services.automate.handle(event)
    pipeline.drain()
    statuses = [run_of(api, r)["status"] for r in runs]
    assert statuses.count("PROCESSED") == 3 and statuses.count("THROTTLED") == 2
    assert len(pipeline.email.sent) == 3
    ((_, window),) = pipeline.documents.page(WS, ("automation_throttles",), None, 10)
    assert (len(window["admitted"]), len(window["refused"]), window["refused_count"]) == (3, 2, 2)


def test_a_throttle_asked_again_for_the_same_step_answers_the_same() -> None:
    throttles = Throttles(InMemoryDocuments())
    hour = 3600 * 1000

    def ask(step: str, at: int) -> bool:
        return throttles.admit(WS, "k", hour, 1, step, at)

    assert ask("run-a/0", 5 * hour) is True
    assert ask("run-b/0", 5 * hour + 1) is False
    assert ask("run-a/0", 5 * hour + 2) is True  # a redelivery: its place is kept
    assert ask("run-b/0", 5 * hour + 3) is False  # and its refusal
    assert ask("run-c/0", 6 * hour - 1) is False  # the last moment of the window
    assert ask("run-c/0", 6 * hour) is True  # the next window is another count


def test_a_dynamic_throttle_counts_by_its_key_across_recipients(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    step = throttle(max_allowed=1, scope="dynamic", throttle_key="order-{{data.order}}")
    first = invoke(api, [step, SEND], data={"order": 1}).body["runId"]
    again = invoke(
        api, [step, SEND], data={"order": 1}, recipient="bob", profile={"email": "b@x.com"}
    ).body["runId"]
    other = invoke(api, [step, SEND], data={"order": 2}).body["runId"]
    pipeline.drain()
    assert [run_of(api, r)["status"] for r in (first, again, other)] == [
        "PROCESSED",
        "THROTTLED",
        "PROCESSED",
    ]
    reason = run_of(api, again)["reason"]
    assert reason == "step 0: throttled, at most 1 per 1 week (dynamic, order-{{data.order}})"


def test_bad_throttle_steps_are_refused_naming_the_field(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    cases: list[tuple[dict[str, Any], str]] = [
        (throttle(max_allowed=0), "automation.steps[0].max_allowed"),
        (throttle(max_allowed=1001), "automation.steps[0].max_allowed"),
        (throttle(period="soon"), "automation.steps[0].period"),
        (throttle(period="31 days"), "automation.steps[0].period"),
        (throttle(scope="team"), "automation.steps[0].scope"),
        (throttle(scope="dynamic"), "automation.steps[0].throttle_key"),
        (throttle(throttle_key="{{#each x}}"), "automation.steps[0].throttle_key"),
        (throttle(throttle_key="k" * 257), "automation.steps[0].throttle_key"),
        ({"action": "throttle", "period": "1 hour"}, "automation.steps[0].max_allowed"),
    ]
    for step, expected in cases:
        assert errors_of(invoke(api, [step])) == [expected], step
    assert invoke(api, [throttle(max_allowed=1000, throttle_key="k" * 256)]).status == 202
    no_recipient = call(api, "POST", "/automations/invoke", {"automation": {"steps": [throttle()]}})
    assert errors_of(no_recipient) == ["automation.steps[0].scope"]
    assert (
        call(
            api,
            "POST",
            "/automations/invoke",
            {"automation": {"steps": [throttle(scope="global")]}},
        ).status
        == 202
    )
