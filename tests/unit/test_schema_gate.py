"""The compatibility gate over versions and consumers, and the released schemas on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from herald.events.registry import EventSpec
from herald_tools import generate
from herald_tools.schemagate import released
from herald_tools.schemagate.gate import Declarations, EventVersion, Problem, check

ROOT = Path(__file__).resolve().parents[2]


class SentV1(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str
    provider: str


class SentV1Broken(BaseModel):  # provider renamed
    model_config = ConfigDict(extra="forbid")
    channel: str
    provider_name: str


class SentV2(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str
    providers: list[str]


def spec(version: int, payload: type[BaseModel], consumers: tuple[str, ...]) -> EventSpec:
    return EventSpec("thing.sent", version, payload, "deliver", consumers, "SENT", "test")


V1 = spec(1, SentV1, ("log", "audit"))
RELEASED_V1: dict[EventVersion, dict[str, Any]] = {("thing.sent", 1): SentV1.model_json_schema()}
BOTH_ACCEPT_V1 = {"log": {"thing.sent": (1,)}, "audit": {"thing.sent": (1,)}}


def gate(
    specs: Sequence[EventSpec],
    declarations: Declarations,
    released_schemas: Mapping[EventVersion, dict[str, Any]] = RELEASED_V1,
    retired: frozenset[EventVersion] = frozenset(),
) -> list[Problem]:
    current = {(s.name, s.version): s.payload.model_json_schema() for s in specs}
    return check(specs, current, released_schemas, retired, declarations)


def kinds(problems: list[Problem]) -> list[tuple[str, int]]:
    return [(p.kind, p.version) for p in problems]


def test_this_repository_passes_the_gate() -> None:
    problems = released.problems(ROOT)
    assert problems == [], "\n".join(map(str, problems))


def test_an_unchanged_released_event_passes() -> None:
    assert gate([V1], BOTH_ACCEPT_V1) == []


def test_a_breaking_change_without_a_new_version_fails_and_says_what_to_do() -> None:
    [problem] = gate([spec(1, SentV1Broken, ("log", "audit"))], BOTH_ACCEPT_V1)
    assert problem.kind == "breaking"
    assert "provider: property removed (renamed? new: provider_name)" in str(problem)
    assert "publish the change as v2" in str(problem)


def test_bumping_the_version_and_dropping_the_old_one_fails() -> None:
    both_accept_v2 = {"log": {"thing.sent": (2,)}, "audit": {"thing.sent": (2,)}}
    problems = gate([spec(2, SentV2, ("log", "audit"))], both_accept_v2)
    assert kinds(problems) == [("dropped", 1)]
    assert "herald schemas retire thing.sent 1" in str(problems[0])


def test_both_versions_published_and_every_consumer_accepting_both_passes() -> None:
    accept_both = {"log": {"thing.sent": (1, 2)}, "audit": {"thing.sent": (1, 2)}}
    assert gate([V1, spec(2, SentV2, ("log", "audit"))], accept_both) == []
    # Transition over: v1 leaves the registry and is retired.
    accept_v2 = {"log": {"thing.sent": (2,)}, "audit": {"thing.sent": (2,)}}
    assert gate([spec(2, SentV2, ("log", "audit"))], accept_v2, {}, frozenset(RELEASED_V1)) == []


def test_a_consumer_that_only_accepts_the_old_version_fails_by_name() -> None:
    declarations: Declarations = {"log": {"thing.sent": (1, 2)}, "audit": {"thing.sent": (1,)}}
    problems = gate([V1, spec(2, SentV2, ("log", "audit"))], declarations)
    assert kinds(problems) == [("not-accepted", 2)]
    assert "consumer 'audit' is subscribed but accepts only v1" in str(problems[0])


def test_a_consumer_left_on_the_old_version_fails_by_name() -> None:
    declarations: Declarations = {"log": {"thing.sent": (1, 2)}, "audit": {"thing.sent": (1,)}}
    problems = gate([V1, spec(2, SentV2, ("log",))], declarations)
    assert kinds(problems) == [("left-behind", 1)]
    assert "consumer 'audit' is left behind" in str(problems[0])


def test_a_consumer_without_a_declaration_fails() -> None:
    problems = gate([V1], {"log": {"thing.sent": (1,)}})
    assert kinds(problems) == [("undeclared", 1)]
    assert "'audit'" in str(problems[0])


def test_declarations_of_unknown_versions_or_unconsumed_events_fail() -> None:
    problems = gate([V1], {**BOTH_ACCEPT_V1, "log": {"thing.sent": (1, 7)}})
    assert kinds(problems) == [("stale-declaration", 7)]
    problems = gate([V1], {**BOTH_ACCEPT_V1, "render": {"thing.sent": (1,)}})
    assert kinds(problems) == [("stale-declaration", 1)]


def test_a_retired_version_published_again_fails() -> None:
    assert kinds(gate([V1], BOTH_ACCEPT_V1, {}, frozenset(RELEASED_V1))) == [("retired", 1)]


def test_the_same_version_registered_twice_fails() -> None:
    assert kinds(gate([V1, V1], BOTH_ACCEPT_V1)) == [("duplicate", 1)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of this repository's released schemas, to change."""
    shutil.copytree(ROOT / released.RELEASED_DIR, tmp_path / released.RELEASED_DIR)
    return tmp_path


def test_release_refuses_a_breaking_change_and_the_gate_reports_it(repo: Path) -> None:
    # As if message.sent v1 had been released with a field the code no longer has.
    path = repo / released.RELEASED_DIR / "message.sent.v1.json"
    schema = json.loads(path.read_text())
    schema["properties"]["legacy_id"] = {"type": "string"}
    path.write_text(json.dumps(schema))
    [problem] = released.problems(repo)
    assert (problem.kind, problem.event) == ("breaking", "message.sent")
    with pytest.raises(released.ReleaseRefused, match=r"message\.sent v1: legacy_id"):
        released.release(repo)


def test_release_moves_the_baseline_forward_on_a_compatible_change(repo: Path) -> None:
    path = repo / released.RELEASED_DIR / "message.sent.v1.json"
    schema = json.loads(path.read_text())
    del schema["properties"]["reference"]  # as if reference were new, optional
    path.write_text(json.dumps(schema))
    assert released.problems(repo) == []
    assert released.release(repo) == [path]
    assert path.read_text() == generate.rendered(generate.event_schemas()[("message.sent", 1)])


def test_retiring_moves_a_dropped_version_out_of_the_gate(repo: Path) -> None:
    old = repo / released.RELEASED_DIR / "message.sent.v0.json"
    shutil.copy(repo / released.RELEASED_DIR / "message.sent.v1.json", old)
    assert kinds(released.problems(repo)) == [("dropped", 0)]
    released.retire(repo, "message.sent", 0)
    assert released.problems(repo) == []
    assert released.retired(repo) == {("message.sent", 0)}
    with pytest.raises(released.ReleaseRefused, match="still registered"):
        released.retire(repo, "message.sent", 1)


def test_the_check_command_passes_here(capsys: pytest.CaptureFixture[str]) -> None:
    from herald_tools.cli import main

    assert main(["schemas", "check"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
