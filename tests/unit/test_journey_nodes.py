"""Journeys' branch nodes, node conditions and send experiments, over the in-memory
adapters: the way taken, the ways skipped, and why, in the run's steps."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from herald.domain.automation import (
    MAX_BRANCH_PATHS,
    MAX_BUCKETING_KEY_CHARS,
    MAX_LABEL_CHARS,
    MAX_STEPS,
    MAX_VARIANT_WEIGHT,
    MAX_VARIANTS,
    ExperimentStep,
)
from herald.domain.journey import MAX_BRANCH_DEPTH
from herald.domain.journey_conditions import MAX_ATOMS, MAX_PATH_CHARS, MAX_VALUE_CHARS
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_automation_batch import kill_each_step_before_it_commits
from tests.unit.test_automations import WS, herald
from tests.unit.test_digests import DAILY, ITEMS_BODY
from tests.unit.test_journeys import TRIGGER, create, errors_of, invoke, published, steps_of

__all__ = ["herald"]  # the fixture


@pytest.fixture
def templates(herald: tuple[Api, Pipeline]) -> tuple[Api, Pipeline]:
    api, _ = herald
    for name in ("vip", "basic", "after", "a", "b"):
        body = {"content": {"title": name, "body": f"template {name}"}}
        assert call(api, "PUT", f"/templates/{name}", body).status == 200
    return herald


def send(template: str, node_id: str | None = None, **fields: Any) -> dict[str, Any]:
    node = {"type": "send", "message": {"template": template}, **fields}
    return node | ({"id": node_id} if node_id else {})


def branch(paths: list[dict[str, Any]], default: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "branch", "id": "plan", "paths": paths, "default": {"nodes": default}}


VIP = {"label": "VIP", "conditions": ["data.plan", "equals", "pro"], "nodes": [send("vip")]}


def experiment(weights: tuple[float, ...] = (1, 1), **fields: Any) -> dict[str, Any]:
    variants = [
        {"id": name, "templateId": name, "weight": weight}
        for name, weight in zip(("a", "b", *(f"t{i}" for i in range(20))), weights, strict=False)
    ]
    return {
        "type": "send",
        "id": "ab",
        "message": {},
        "experiment": {"bucketingKey": "{{recipient}}", "variants": variants, **fields},
    }


def titles(pipeline: Pipeline) -> list[str]:
    return [str(d.rendered.get("title") or d.rendered.get("subject")) for d in pipeline.email.sent]


def test_a_branch_takes_its_first_path_whose_conditions_hold_and_skips_the_others(
    templates: tuple[Api, Pipeline],
) -> None:
    api, pipeline = templates
    journey_id = published(api, [TRIGGER, branch([VIP], [send("basic")]), send("after")])
    pro = invoke(api, journey_id, data={"plan": "pro"}).body["runId"]
    pipeline.drain()
    taken, vip, basic, after = steps_of(api, pro)
    assert (taken["action"], taken["node_id"], taken["status"]) == ("branch", "plan", "PROCESSED")
    assert taken["outcome"] == "'VIP': its conditions hold (data.plan equals pro)"
    assert (vip["status"], basic["status"], after["status"]) == (
        "PROCESSED",
        "SKIPPED",
        "PROCESSED",
    )
    assert basic["skip_reason"] == f"step 0 took {taken['outcome']}"
    assert len(pipeline.email.sent) == 2

    free = invoke(api, journey_id, data={"plan": "free"}).body["runId"]
    pipeline.drain()
    taken, vip, basic, after = steps_of(api, free)
    assert taken["outcome"] == "'default': no path's conditions hold"
    assert (vip["status"], basic["status"], after["status"]) == (
        "SKIPPED",
        "PROCESSED",
        "PROCESSED",
    )
    assert len(pipeline.email.sent) == 4
    assert call(api, "GET", f"/journeys/runs/{free}").body["run"]["status"] == "PROCESSED"


def test_branches_nest_and_an_exit_in_a_way_ends_the_run(
    templates: tuple[Api, Pipeline],
) -> None:
    api, pipeline = templates
    inner = branch(
        [{"conditions": ["profile.email", "exists"], "nodes": [send("vip"), {"type": "exit"}]}],
        [],
    )
    outer = branch([{**VIP, "nodes": [inner]}], [send("basic")])
    journey_id = published(api, [TRIGGER, outer, send("after")])
    run_id = invoke(api, journey_id, data={"plan": "pro"}).body["runId"]
    pipeline.drain()
    statuses = [(s["action"], s["status"]) for s in steps_of(api, run_id)]
    assert statuses == [
        ("branch", "PROCESSED"),
        ("branch", "PROCESSED"),
        ("send", "PROCESSED"),
        ("exit", "PROCESSED"),
        ("send", "SKIPPED"),  # basic: the default not taken
        ("send", "SKIPPED"),  # after: the run exited
    ]
    assert steps_of(api, run_id)[-1]["skip_reason"] == "the run exited at step 3"
    assert len(pipeline.email.sent) == 1


@pytest.mark.parametrize(
    ("conditions", "data", "runs"),
    [
        (["data.vip", "equals", "true"], {"vip": True}, True),
        (["data.vip", "equals", "true"], {"vip": False}, False),
        (["data.total", ">", "50"], {"total": 120}, True),
        (["data.total", "greater_than", "50"], {"total": "9"}, False),  # as numbers
        (["data.missing", "not_exists"], {}, True),
        ({"OR": [["data.a", "==", "1"], ["data.b", "==", "1"]]}, {"b": 1}, True),
        ({"AND": [["data.a", "==", "1"], ["data.b", "==", "1"]]}, {"b": 1}, False),
        (
            {
                "OR": [
                    {"AND": [["data.first", "==", "true"], ["data.total", ">", "50"]]},
                    {"AND": [["data.first", "==", "false"], ["data.total", ">", "200"]]},
                ]
            },
            {"first": False, "total": 300},
            True,
        ),
        (["recipient", "equals", "ada"], {}, True),
    ],
)
def test_a_node_s_conditions_decide_whether_its_step_runs(
    templates: tuple[Api, Pipeline], conditions: Any, data: dict[str, Any], runs: bool
) -> None:
    api, pipeline = templates
    journey_id = published(api, [TRIGGER, send("vip", "gated", conditions=conditions)])
    run_id = invoke(api, journey_id, data=data).body["runId"]
    pipeline.drain()
    (step,) = steps_of(api, run_id)
    assert step["status"] == ("PROCESSED" if runs else "SKIPPED")
    assert len(pipeline.email.sent) == (1 if runs else 0)
    if not runs:
        assert step["skip_reason"].startswith("Node conditions not met: ")


def test_an_experiment_sends_one_variant_the_same_for_the_same_key(
    templates: tuple[Api, Pipeline],
) -> None:
    api, pipeline = templates
    journey_id = published(api, [TRIGGER, experiment()])
    chosen: dict[str, str] = {}
    for user in ("ada", "ada", *(f"user{i}" for i in range(30))):
        run_id = invoke(api, journey_id, user_id=user).body["runId"]
        pipeline.drain()
        split, a, b = steps_of(api, run_id)
        assert (split["action"], split["node_id"]) == ("experiment", "ab")
        variant = "a" if a["status"] == "PROCESSED" else "b"
        assert {a["status"], b["status"]} == {"PROCESSED", "SKIPPED"}
        assert split["outcome"].startswith(f"variant {variant!r}: bucket ")
        assert chosen.setdefault(user, variant) == variant  # the same key, the same variant
    assert set(chosen.values()) == {"a", "b"}
    assert len(pipeline.email.sent) == 32


def test_a_variant_of_weight_zero_is_never_sent(templates: tuple[Api, Pipeline]) -> None:
    api, pipeline = templates
    journey_id = published(api, [TRIGGER, experiment((0, 1))])
    for user in range(10):
        invoke(api, journey_id, user_id=f"u{user}")
    pipeline.drain()
    assert titles(pipeline) == ["b"] * 10


def test_an_experiment_and_a_branch_run_once_when_each_step_is_killed_and_redelivered(
    templates: tuple[Api, Pipeline],
) -> None:
    api, pipeline = templates
    kill_each_step_before_it_commits(pipeline)
    journey_id = published(api, [TRIGGER, branch([VIP], [experiment()]), send("after")])
    runs = [invoke(api, journey_id, user_id=f"u{n}").body["runId"] for n in range(6)]
    pipeline.drain()
    for run_id in runs:  # every event once more, after the runs ended
        for event in pipeline.messages.history(WS, run_id):
            pipeline.services.automate.handle(event)
    pipeline.drain()
    for run_id in runs:
        statuses = [s["status"] for s in steps_of(api, run_id)]
        # branch, vip (skipped), experiment, a or b, after
        assert statuses.count("PROCESSED") == 4 and statuses[1] == "SKIPPED"
    assert len(pipeline.email.sent) == 12  # one variant and "after", for each run


def test_a_variant_is_chosen_in_proportion_to_the_weights() -> None:
    step = ExperimentStep.model_validate(
        {
            "action": "experiment",
            "experiment_id": "exp_1",
            "bucketing_key": "{{recipient}}",
            "variants": [
                {"id": "a", "template": "a", "weight": 1},
                {"id": "b", "template": "b", "weight": 3},
            ],
        }
    )
    picks = [step.variant_for(f"user{n}")[0] for n in range(4000)]
    assert picks == [step.variant_for(f"user{n}")[0] for n in range(4000)]  # stable
    assert 0.72 < picks.count(1) / len(picks) < 0.78


def deep_branch(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = send("vip")
    for _ in range(depth):
        node = branch([{**VIP, "nodes": [node]}], [])
    return node


def atoms(count: int) -> dict[str, Any]:
    return {"AND": [["data.n", "==", str(n)] for n in range(count)]}


@pytest.mark.parametrize(
    ("node", "field"),
    [
        (experiment((0, 0)), "nodes[1].experiment.variants"),
        (experiment((-1, 1)), "nodes[1].experiment.variants[0].weight"),
        (experiment((1, MAX_VARIANT_WEIGHT + 1)), "nodes[1].experiment.variants[1].weight"),
        (experiment((1,)), "nodes[1].experiment.variants"),
        (experiment((1,) * (MAX_VARIANTS + 1)), "nodes[1].experiment.variants"),
        (experiment(bucketingKey=" {{recipient}}"), "nodes[1].experiment.bucketingKey"),
        (experiment(bucketingKey="{{#if}}"), "nodes[1].experiment.bucketingKey"),
        (experiment(id="ab"), "nodes[1].experiment.id"),
        (experiment(name="n" * (MAX_LABEL_CHARS + 1)), "nodes[1].experiment.name"),
        (
            experiment(bucketingKey="k" * (MAX_BUCKETING_KEY_CHARS + 1)),
            "nodes[1].experiment.bucketingKey",
        ),
        (
            branch([{**VIP, "label": "l" * (MAX_LABEL_CHARS + 1)}], []),
            "nodes[1].paths[0].label",
        ),
        ({**experiment(), "message": {"template": "a"}}, "nodes[1].message.template"),
        (
            experiment(variants=[{"id": "a", "templateId": "a", "weight": 1}] * 2),
            "nodes[1].experiment.variants[1].id",
        ),
        (branch([], []), "nodes[1].paths"),
        (branch([VIP] * (MAX_BRANCH_PATHS + 1), []), "nodes[1].paths"),
        (branch([{"nodes": []}], []), "nodes[1].paths[0].conditions"),
        (
            {**branch([VIP], []), "default": {"nodes": [], "conditions": ["recipient", "exists"]}},
            "nodes[1].default.conditions",
        ),
        (branch([VIP], [{"type": "teleport"}]), "nodes[1].default.nodes[0].type"),
        (branch([VIP], [TRIGGER]), "nodes[1].default.nodes[0].type"),
        (
            deep_branch(MAX_BRANCH_DEPTH + 1),
            "nodes[1].paths[0].nodes[0]" + ".paths[0].nodes[0]" * (MAX_BRANCH_DEPTH - 1) + ".type",
        ),
        (send("vip", conditions=atoms(MAX_ATOMS + 1)), "nodes[1].conditions"),
        (
            send("vip", conditions=["data." + "x" * MAX_PATH_CHARS, "exists"]),
            "nodes[1].conditions[0]",
        ),
        (
            send("vip", conditions=["data.x", "==", "v" * (MAX_VALUE_CHARS + 1)]),
            "nodes[1].conditions[2]",
        ),
        (send("vip", conditions=["secrets.key", "exists"]), "nodes[1].conditions[0]"),
        (send("vip", conditions=["data.x", "exists", "1"]), "nodes[1].conditions[2]"),
        (send("vip", conditions=["data.x", "=="]), "nodes[1].conditions[2]"),
        (send("vip", conditions={"AND": [], "OR": []}), "nodes[1].conditions"),
        (
            send("vip", conditions={"OR": [{"AND": [{"OR": [["data.x", "exists"]]}]}]}),
            "nodes[1].conditions.OR[0].AND[0]",
        ),
    ],
)
def test_bad_branches_experiments_and_conditions_are_refused_naming_the_field(
    templates: tuple[Api, Pipeline], node: dict[str, Any], field: str
) -> None:
    api, _ = templates
    assert errors_of(create(api, [TRIGGER, node])) == [field]


def test_the_bounds_of_branches_experiments_and_conditions_are_accepted_at_their_limits(
    templates: tuple[Api, Pipeline],
) -> None:
    api, _ = templates
    at_limits = [
        TRIGGER,
        deep_branch(MAX_BRANCH_DEPTH),
        branch([VIP] * MAX_BRANCH_PATHS, []),
        experiment((1,) * MAX_VARIANTS),
        experiment((0, MAX_VARIANT_WEIGHT)),
        experiment(name="n" * MAX_LABEL_CHARS, bucketingKey="k" * MAX_BUCKETING_KEY_CHARS),
        branch([{**VIP, "label": "l" * MAX_LABEL_CHARS}], []),
        send("vip", conditions=atoms(MAX_ATOMS)),
        send("vip", conditions=["data." + "x" * (MAX_PATH_CHARS - 5), "exists"]),
        send("vip", conditions=["data.x", "==", "v" * MAX_VALUE_CHARS]),
    ]
    assert create(api, at_limits).status == 200, create(api, at_limits).body
    # Steps are counted with every way of a branch: MAX_STEPS of them, and one more.
    ways = [send("vip")] * (MAX_STEPS - 1)
    assert create(api, [branch([{**VIP, "nodes": ways}], [])]).status == 200
    too_many = [branch([{**VIP, "nodes": ways}], [send("basic")])]
    assert errors_of(create(api, too_many)) == ["nodes"]


def digest_topic(api: Api, **digest: Any) -> None:
    body = {"topic_name": "Comments", "digest": {"schedules": [DAILY], **digest}}
    assert call(api, "PUT", "/preferences/topics/comments", body).status == 200


def test_an_add_to_digest_node_collects_the_run_into_the_topic_s_digest(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    template = {"content": {"title": "Digest", "body": ITEMS_BODY}}
    assert call(api, "PUT", "/templates/comments", template).status == 200
    digest_topic(api, template_id="comments")
    collect = {"type": "add-to-digest", "id": "collect", "subscription_topic_id": "comments"}
    journey_id = published(api, [TRIGGER, collect])
    runs = [invoke(api, journey_id, data={"text": t}).body["runId"] for t in "abc"]
    pipeline.drain()
    assert pipeline.email.sent == []
    for run_id in runs:
        (step,) = steps_of(api, run_id)
        assert (step["action"], step["node_id"], step["status"]) == (
            "add-to-digest",
            "collect",
            "PROCESSED",
        )
        assert call(api, "GET", f"/messages/{step['message_id']}").body["status"] == "DIGESTED"
    (timer,) = pipeline.timers.entries.values()
    pipeline.services.digest.clock = lambda: timer.due_ms
    pipeline.fire_timers()
    (dispatch,) = pipeline.email.sent
    assert "[a][b][c] of 3" in str(dispatch.rendered)


@pytest.mark.parametrize(
    ("digest", "error"),
    [
        (None, "add-to-digest: no subscription topic 'comments'"),
        ({}, "add-to-digest: topic 'comments' has no template for its digest"),
    ],
)
def test_an_add_to_digest_node_fails_its_step_without_a_topic_template(
    herald: tuple[Api, Pipeline], digest: dict[str, Any] | None, error: str
) -> None:
    api, pipeline = herald
    if digest is not None:
        digest_topic(api, **digest)
    collect = {"type": "add-to-digest", "subscription_topic_id": "comments"}
    journey_id = published(api, [TRIGGER, collect, send("welcome")])
    run_id = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    failed, after = steps_of(api, run_id)
    assert (failed["status"], failed["error"], after["status"]) == (
        "ERROR",
        {"message": error},
        "PENDING",
    )
    assert call(api, "GET", f"/journeys/runs/{run_id}").body["run"]["status"] == "ERROR"
    assert pipeline.email.sent == []


def test_bad_add_to_digest_nodes_are_refused(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    assert errors_of(create(api, [TRIGGER, {"type": "add-to-digest"}])) == [
        "nodes[1].subscription_topic_id"
    ]
    bad = {"type": "add-to-digest", "subscription_topic_id": "t", "topic": "x"}
    assert errors_of(create(api, [TRIGGER, bad])) == ["nodes[1].topic"]
    automation = {"steps": [{"action": "add-to-digest", "subscription_topic_id": "t"}]}
    answer = call(api, "POST", "/automations/invoke", {"automation": automation, "recipient": "a"})
    assert errors_of(answer) == ["automation.steps[0].action"]


def test_an_experiment_whose_conditions_fail_sends_no_variant(
    templates: tuple[Api, Pipeline],
) -> None:
    api, pipeline = templates
    gated = {**experiment(), "conditions": ["data.beta", "equals", "true"]}
    journey_id = published(api, [TRIGGER, gated, send("after")])
    run_id = invoke(api, journey_id, data={"beta": False}).body["runId"]
    pipeline.drain()
    split, a, b, after = steps_of(api, run_id)
    assert split["skip_reason"] == "Node conditions not met: data.beta equals true"
    assert (split["status"], a["status"], b["status"]) == ("SKIPPED",) * 3
    assert a["skip_reason"] == "its node's conditions were not met"
    assert after["status"] == "PROCESSED"
    assert titles(pipeline) == ["after"]
    # One model of a run: the automations' view shows the same steps, and why.
    steps = call(api, "GET", f"/automations/runs/{run_id}/steps").body["steps"]
    assert [s["action"] for s in steps] == ["experiment", "send", "send", "send"]
    assert steps[1]["skip_reason"] == "its node's conditions were not met"
