"""The batch step: the runs of one key and window collected, one of them continued once with
every run's data, on the durable timer, whatever is delivered twice."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from herald.api.http import Api
from herald.domain.automation import MAX_BATCH_ITEMS
from herald.pipeline.automation_batch import MAX_BATCHES_PER_WINDOW, Batches, BatchesFull
from herald.store.documents import InMemoryDocuments
from tests.unit.fakes import Pipeline
from tests.unit.test_automations import WS, errors_of, herald, invoke, run_of

__all__ = ["herald"]  # the fixture

SEND = {"action": "send", "template": "welcome"}
HOUR = 3600 * 1000


def batch(**fields: Any) -> dict[str, Any]:
    # A week's window: runs invoked together are not split by a window's end.
    return {"action": "batch", "window": "1 week", **fields}


def release_windows(pipeline: Pipeline) -> None:
    """The timer's events come when the windows end."""
    due = max(entry.due_ms for entry in pipeline.timers.entries.values())
    pipeline.services.automate.clock = lambda: due
    pipeline.fire_timers()


def sent_data(pipeline: Pipeline) -> list[dict[str, Any]]:
    messages = [pipeline.messages.get_message(WS, d.message_id) for d in pipeline.email.sent]
    return [m.data for m in messages if m is not None]


def kill_each_step_before_it_commits(pipeline: Pipeline) -> None:
    """Each step's transition is killed the first time, and its event comes three times (an
    early timer event makes no transition: it is filed again)."""
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
        for _ in range(3):
            with contextlib.suppress(RuntimeError):
                automate(event)

    pipeline.consumers["automate"] = redelivered


def test_a_batch_continues_its_first_run_once_with_every_runs_data(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    runs = [invoke(api, [batch(), SEND], data={"n": n}).body["runId"] for n in range(4)]
    pipeline.drain()
    owner, *others = runs
    assert run_of(api, owner)["status"] == "WAITING"
    for run_id in others:
        run = run_of(api, run_id)
        assert (run["status"], run["reason"]) == ("BATCHED", f"step 0: batched into run {owner}")
        assert [(s["status"], s.get("run_id")) for s in run["steps"]] == [
            ("BATCHED", owner),
            ("PENDING", None),
        ]
    assert pipeline.email.sent == [] and len(pipeline.timers.entries) == 1
    release_windows(pipeline)
    assert [s["status"] for s in run_of(api, owner)["steps"]] == ["PROCESSED", "PROCESSED"]
    (data,) = sent_data(pipeline)
    assert data["batch"] == {"items": [{"n": n} for n in range(4)], "count": 4}
    assert data["n"] == 0  # the first run's own data, under the batch


def test_each_recipient_and_each_key_has_its_own_batch(herald: tuple[Api, Pipeline]) -> None:
    api, pipeline = herald
    for recipient in ("ada", "bob", "ada"):
        invoke(api, [batch(), SEND], recipient=recipient, profile={"email": f"{recipient}@x.io"})
    for topic in ("a", "b", "a"):
        keyed = batch(batch_key="topic-{{data.topic}}")
        invoke(api, [keyed, SEND], data={"topic": topic})
    pipeline.drain()
    release_windows(pipeline)
    counts = sorted(data["batch"]["count"] for data in sent_data(pipeline))
    assert counts == [1, 1, 2, 2]


def test_a_full_batch_sends_the_next_run_to_a_batch_of_its_own(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    for n in range(5):
        invoke(api, [batch(max_items=2), SEND], data={"n": n})
    pipeline.drain()
    assert len(pipeline.timers.entries) == 3
    release_windows(pipeline)
    items = sorted([i["n"] for i in d["batch"]["items"]] for d in sent_data(pipeline))
    assert items == [[0, 1], [2, 3], [4]]


def test_one_continuation_when_every_step_is_killed_before_it_commits_and_redelivered(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    kill_each_step_before_it_commits(pipeline)
    runs = [invoke(api, [batch(), SEND], data={"n": n}).body["runId"] for n in range(4)]
    pipeline.drain()
    release_windows(pipeline)
    for run_id in runs:  # every event once more, after the runs ended
        for event in pipeline.messages.history(WS, run_id):
            pipeline.services.automate.handle(event)
    pipeline.drain()
    statuses = sorted(run_of(api, r)["status"] for r in runs)
    assert statuses == ["BATCHED", "BATCHED", "BATCHED", "PROCESSED"]
    (data,) = sent_data(pipeline)
    assert sorted(i["n"] for i in data["batch"]["items"]) == [0, 1, 2, 3]


def test_a_batch_released_takes_no_late_run_and_answers_the_same_items() -> None:
    batches = Batches(InMemoryDocuments())

    def join(run_id: str, at: int) -> Any:
        return batches.join(WS, "k", HOUR, 10, run_id, {"run": run_id}, 10_000, at)

    first = join("a", 5 * HOUR)
    assert (first.owner, first.ends_ms) == ("a", 6 * HOUR)
    assert join("b", 5 * HOUR + 1).owner == "a"
    assert join("a", 5 * HOUR + 2) == first  # a redelivery: where it joined
    assert batches.release(WS, first.batch_id) == [{"run": "a"}, {"run": "b"}]
    late = join("c", 6 * HOUR - 1)  # in the window, after its release: a batch of its own
    assert late.owner == "c" and late.batch_id != first.batch_id
    assert join("b", 5 * HOUR + 3).owner == "a"  # a redelivery after the release
    assert batches.release(WS, first.batch_id) == [{"run": "a"}, {"run": "b"}]
    assert join("d", 6 * HOUR).ends_ms == 7 * HOUR  # the next window


def test_a_batch_holds_what_its_owners_data_can_take() -> None:
    batches = Batches(InMemoryDocuments())
    item = {"text": "x" * 100}
    first = batches.join(WS, "k", HOUR, 10, "a", item, 250, 0)
    assert batches.join(WS, "k", HOUR, 10, "b", item, 250, 0).owner == "a"
    assert batches.join(WS, "k", HOUR, 10, "c", item, 250, 0).owner == "c"  # past 250 bytes
    assert len(batches.release(WS, first.batch_id)) == 2


def test_a_window_of_full_batches_refuses_the_next_run() -> None:
    batches = Batches(InMemoryDocuments())
    for n in range(MAX_BATCHES_PER_WINDOW):
        assert batches.join(WS, "k", HOUR, 1, f"r{n}", {}, 100, 0).owner == f"r{n}"
    with pytest.raises(BatchesFull):
        batches.join(WS, "k", HOUR, 1, "one-too-many", {}, 100, 0)


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (batch(window="soon"), "automation.steps[0].window"),
        (batch(window="31 days"), "automation.steps[0].window"),
        ({"action": "batch"}, "automation.steps[0].window"),
        (batch(max_items=0), "automation.steps[0].max_items"),
        (batch(max_items=MAX_BATCH_ITEMS + 1), "automation.steps[0].max_items"),
        (batch(batch_key="{{#if}}"), "automation.steps[0].batch_key"),
        (batch(batch_key="k" * 257), "automation.steps[0].batch_key"),
        (batch(batch_size=3), "automation.steps[0].batch_size"),
    ],
)
def test_bad_batch_steps_are_refused_naming_the_field(
    herald: tuple[Api, Pipeline], step: dict[str, Any], field: str
) -> None:
    api, _ = herald
    assert errors_of(invoke(api, [step, SEND])) == [field]


def test_batch_bounds_are_accepted_at_their_limits(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    for step in (
        batch(max_items=1),
        batch(max_items=MAX_BATCH_ITEMS),
        batch(window="30 days"),
        batch(batch_key="k" * 256),
    ):
        assert invoke(api, [step, SEND]).status == 202
