"""Courier's audience filter: rules over a profile's attributes, combined with AND/OR.

A rule compares the attribute at a dotted ``path`` of the profile with a string
``value`` (``EQ``, ``NEQ``, ``GT``, ``GTE``, ``LT``, ``LTE``, ``EXISTS``, ``OMIT``,
``INCLUDES``, ``STARTS_WITH``, ``ENDS_WITH``, ``IS_BEFORE``, ``IS_AFTER``); a group
(``AND``, ``OR``) combines nested rules. A filter is evaluated against every
profile a send or a members page reads, so its size is bounded: rules, depth,
path and value lengths.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_RULES = 50  # rules and groups in one filter, all levels together
MAX_DEPTH = 4  # groups within groups, the filter's own list being the first
MAX_PATH_CHARS, MAX_PATH_SEGMENTS = 256, 10
MAX_VALUE_CHARS = 1000

LogicalOperator = Literal["AND", "OR"]
COMPARISONS = frozenset(
    {
        "EQ",
        "NEQ",
        "GT",
        "GTE",
        "LT",
        "LTE",
        "EXISTS",
        "OMIT",
        "INCLUDES",
        "STARTS_WITH",
        "ENDS_WITH",
        "IS_BEFORE",
        "IS_AFTER",
    }
)
# Operators that look at whether the attribute is there, not at a value.
PRESENCE = frozenset({"EXISTS", "OMIT"})
DATES = frozenset({"IS_BEFORE", "IS_AFTER"})
NUMBERS = frozenset({"GT", "GTE", "LT", "LTE"})
_MISSING = object()


class FilterRule(BaseModel):
    """Courier's ``FilterConfig``: a comparison (path, value) or a group (filters)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operator: str
    path: str | None = Field(default=None, max_length=MAX_PATH_CHARS)
    value: str | None = Field(default=None, max_length=MAX_VALUE_CHARS)
    filters: list[FilterRule] | None = Field(default=None, max_length=MAX_RULES)

    @field_validator("operator")
    @classmethod
    def _known(cls, operator: str) -> str:
        if operator not in COMPARISONS and operator not in ("AND", "OR"):
            known = ", ".join(sorted(COMPARISONS | {"AND", "OR"}))
            raise ValueError(f"is not an operator Courier's filters know: {known}")
        return operator

    @field_validator("path")
    @classmethod
    def _segments(cls, path: str | None) -> str | None:
        if path is not None:
            segments = path.split(".")
            if len(segments) > MAX_PATH_SEGMENTS or not all(segments):
                raise ValueError(
                    f"must be 1 to {MAX_PATH_SEGMENTS} non-empty attribute names joined by '.'"
                )
        return path

    @model_validator(mode="after")
    def _shape(self) -> FilterRule:
        if self.operator in ("AND", "OR"):
            if not self.filters or self.path is not None or self.value is not None:
                raise ValueError(f"an {self.operator} group takes filters only (at least one)")
            return self
        if self.filters is not None:
            raise ValueError(f"a {self.operator} rule takes path and value, not filters")
        if self.path is None:
            raise ValueError(f"a {self.operator} rule needs a path")
        if self.operator not in PRESENCE and self.value is None:
            raise ValueError(f"a {self.operator} rule needs a value")
        if self.operator in DATES and _date(self.value or "") is None:
            raise ValueError(f"a {self.operator} rule's value must be an ISO 8601 date")
        if self.operator in NUMBERS and _number(self.value) is None:
            raise ValueError(f"a {self.operator} rule's value must be a number")
        return self


class AudienceFilter(BaseModel):
    """Courier's ``AudienceFilterConfig``: the top-level rules and their operator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: list[FilterRule] = Field(min_length=1, max_length=MAX_RULES)
    operator: LogicalOperator | None = None

    @model_validator(mode="after")
    def _bounded(self) -> AudienceFilter:
        rules, depth = _measure(self.filters, 1)
        if rules > MAX_RULES:
            raise ValueError(f"has {rules} rules; a filter has at most {MAX_RULES}")
        if depth > MAX_DEPTH:
            raise ValueError(f"nests {depth} levels deep; a filter nests at most {MAX_DEPTH}")
        return self

    def combined_by(self, operator: LogicalOperator | None) -> AudienceFilter:
        """With the request's top-level ``operator`` applied (Courier's convenience alias)."""
        chosen = operator or self.operator
        if chosen is None and len(self.filters) > 1:
            raise ValueError("combines several rules: it needs an operator, AND or OR")
        return self.model_copy(update={"operator": chosen or "AND"})


def _measure(rules: list[FilterRule], depth: int) -> tuple[int, int]:
    count, deepest = len(rules), depth
    for rule in rules:
        if rule.filters:
            inner, inner_depth = _measure(rule.filters, depth + 1)
            count, deepest = count + inner, max(deepest, inner_depth)
    return count, deepest


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    """An attribute as the filter's string values compare with it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _attribute(profile: dict[str, Any], path: str) -> Any:
    current: Any = profile
    for name in path.split("."):
        if not isinstance(current, dict) or name not in current:
            return _MISSING
        current = current[name]
    return current


def _equal(actual: Any, expected: str) -> bool:
    if (number := _number(actual)) is not None and (wanted := _number(expected)) is not None:
        return number == wanted
    return _text(actual) == expected


def _compare(rule: FilterRule, profile: dict[str, Any]) -> bool:
    actual = _attribute(profile, rule.path or "")
    operator, expected = rule.operator, rule.value or ""
    if operator == "EXISTS":
        return actual is not _MISSING and actual is not None
    if operator == "OMIT":
        return actual is _MISSING or actual is None
    if actual is _MISSING or actual is None:
        return operator == "NEQ"  # an attribute not there differs from any value
    if operator == "EQ":
        return _equal(actual, expected)
    if operator == "NEQ":
        return not _equal(actual, expected)
    if operator in NUMBERS:
        number, bound = _number(actual), _number(expected)
        if number is None or bound is None:
            return False
        return {
            "GT": number > bound,
            "GTE": number >= bound,
            "LT": number < bound,
            "LTE": number <= bound,
        }[operator]
    if operator in DATES:
        when, bound_date = _date(actual), _date(expected)
        if when is None or bound_date is None:
            return False
        return when < bound_date if operator == "IS_BEFORE" else when > bound_date
    if operator == "INCLUDES":
        if isinstance(actual, list):
            return any(_equal(item, expected) for item in actual)
        return expected in (_text(actual) or "")
    text = _text(actual)
    if text is None:
        return False
    return text.startswith(expected) if operator == "STARTS_WITH" else text.endswith(expected)


def _holds(rule: FilterRule, profile: dict[str, Any]) -> bool:
    if rule.filters is not None:
        results = (_holds(inner, profile) for inner in rule.filters)
        return all(results) if rule.operator == "AND" else any(results)
    return _compare(rule, profile)


def matches(audience_filter: AudienceFilter, profile: dict[str, Any]) -> bool:
    """Whether a profile is in the audience the filter describes."""
    results = (_holds(rule, profile) for rule in audience_filter.filters)
    return any(results) if audience_filter.operator == "OR" else all(results)
