"""Each kind of breaking change between two payload models is caught; compatible ones pass."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from herald_tools.schemagate.diff import BreakingChange, breaking_changes


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Inner(_Payload):
    code: int


class Released(_Payload):
    channel: str
    provider: str
    attempts: float
    kind: Literal["a", "b"]
    reference: str | None = None
    tags: list[str] = []
    inner: Inner
    labels: dict[str, str] = {}


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def changes(model: type[BaseModel]) -> set[tuple[str, str]]:
    return {(c.path, c.kind) for c in breaking_changes(schema(Released), schema(model))}


def test_the_same_schema_has_no_breaking_change() -> None:
    assert breaking_changes(schema(Released), schema(Released)) == []


class Removed(_Payload):
    channel: str
    provider: str
    attempts: float
    kind: Literal["a", "b"]
    tags: list[str] = []
    inner: Inner
    labels: dict[str, str] = {}


class Renamed(Removed):
    ref: str | None = None


class NewRequired(Released):
    region: str


class MadeRequired(Released):
    reference: str | None


class Narrowed(Released):
    attempts: int


class NoLongerNullable(Released):
    reference: str = ""


class EnumShrunk(Released):
    kind: Literal["a"]


class NarrowerInner(_Payload):
    code: int = Field(ge=0)


class NestedBound(Released):
    inner: NarrowerInner  # type: ignore[assignment]


class ItemsNarrowed(Released):
    tags: list[Literal["x", "y"]] = []  # type: ignore[assignment]


class MaxLength(Released):
    channel: str = Field(max_length=20)


class MapValuesNarrowed(Released):
    labels: dict[str, int] = {}  # type: ignore[assignment]


class DefaultChanged(Released):
    tags: list[str] = ["all"]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Removed, {("reference", "removed")}),
        (Renamed, {("reference", "removed")}),
        (NewRequired, {("region", "required")}),
        (MadeRequired, {("reference", "required")}),
        (Narrowed, {("attempts", "type-narrowed")}),
        (NoLongerNullable, {("reference", "type-narrowed"), ("reference", "default-changed")}),
        (EnumShrunk, {("kind", "enum-shrunk")}),
        (NestedBound, {("inner.code", "bound-tightened")}),
        (ItemsNarrowed, {("tags[]", "enum-shrunk")}),
        (MaxLength, {("channel", "bound-tightened")}),
        (MapValuesNarrowed, {("labels.*", "type-narrowed")}),
        (DefaultChanged, {("tags", "default-changed")}),
    ],
)
def test_each_breaking_change_is_caught(
    model: type[BaseModel], expected: set[tuple[str, str]]
) -> None:
    assert changes(model) == expected


def test_a_rename_is_reported_as_a_removal_that_names_the_new_property() -> None:
    [change] = breaking_changes(schema(Released), schema(Renamed))
    assert "renamed? new: ref" in str(change)


def test_tightening_additional_properties_is_caught() -> None:
    class Open(BaseModel):
        channel: str

    class Closed(_Payload):
        channel: str

    assert [c.kind for c in breaking_changes(schema(Open), schema(Closed))] == [
        "additional-properties-tightened"
    ]


class NewOptional(Released):
    note: str | None = None


class Widened(Released):
    kind: Literal["a", "b", "c"]  # type: ignore[assignment]
    attempts: float | None  # type: ignore[assignment]
    channel: str | int  # type: ignore[assignment]


class Loosened(_Payload):
    code: int = Field(ge=-10)


@pytest.mark.parametrize("model", [NewOptional, Widened])
def test_compatible_changes_pass(model: type[BaseModel]) -> None:
    assert breaking_changes(schema(Released), schema(model)) == []


def test_a_loosened_bound_passes_and_the_reverse_does_not() -> None:
    assert breaking_changes(schema(NarrowerInner), schema(Loosened)) == []
    [change] = breaking_changes(schema(Loosened), schema(NarrowerInner))
    assert change == BreakingChange("code", "bound-tightened", "minimum tightened from -10 to 0")


def test_an_integer_may_become_a_number_but_not_the_reverse() -> None:
    integer = {"type": "object", "properties": {"n": {"type": "integer"}}}
    number = {"type": "object", "properties": {"n": {"type": "number"}}}
    assert breaking_changes(integer, number) == []
    assert [c.kind for c in breaking_changes(number, integer)] == ["type-narrowed"]
