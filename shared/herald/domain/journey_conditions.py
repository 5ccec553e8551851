"""Courier's journey conditions: a node's ``conditions`` and a branch path's.

Courier's SDK types a condition as a single atom (a list of text), an AND/OR group of
atoms, or an AND/OR group of such groups. Herald reads an atom as ``[path, operator]``
or ``[path, operator, value]``: ``path`` names a value of the run (``data.plan``,
``profile.email``, ``recipient``), read in the templates' sandbox, and the comparison is
the templates' own (``eq``, ``gt``, ...: beside a number, text that reads as one
compares as a number; the rest as text), so a condition means what a step's ``if``
means. An atom's value that reads as a number is one.
"""

from __future__ import annotations

import re
from typing import Any

from herald.errors import ValidationFailed
from herald.templating import evaluate

MAX_ATOMS = 20  # in one node's (or path's) conditions, however grouped
MAX_PATH_CHARS = 128
MAX_VALUE_CHARS = 256
_NUMBER = re.compile(r"-?\d{1,15}(?:\.\d{1,15})?")
_PATH = re.compile(r"(?:data|profile)(?:\.[A-Za-z0-9_-]+)+|recipient")

# Courier's operator words and their symbols, each as the templates' comparison.
COMPARISONS = {
    "equals": "eq",
    "==": "eq",
    "not_equals": "ne",
    "!=": "ne",
    "greater_than": "gt",
    ">": "gt",
    "greater_than_or_equal": "gte",
    ">=": "gte",
    "less_than": "lt",
    "<": "lt",
    "less_than_or_equal": "lte",
    "<=": "lte",
}
PRESENCE = ("exists", "not_exists")  # set (and not empty), or not


def check_conditions(raw: Any, field: str) -> Any:
    """``raw`` as given, once each atom and group is checked; a 400 names the field."""
    count = _check(raw, field, nested_allowed=True)
    if count > MAX_ATOMS:
        raise ValidationFailed.of(field, f"holds {count} conditions; at most {MAX_ATOMS}")
    return raw


def _check(raw: Any, field: str, nested_allowed: bool) -> int:
    """How many atoms ``raw`` holds, each checked."""
    if isinstance(raw, list):
        _check_atom(raw, field)
        return 1
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("AND", "OR"):
        raise ValidationFailed.of(
            field, 'must be a condition ([path, operator, value]) or {"AND"|"OR": [...]}'
        )
    ((joiner, members),) = raw.items()
    if not isinstance(members, list) or not members:
        raise ValidationFailed.of(f"{field}.{joiner}", "must be a list of one or more")
    count = 0
    for index, member in enumerate(members):
        member_field = f"{field}.{joiner}[{index}]"
        if isinstance(member, dict):
            if not nested_allowed:
                raise ValidationFailed.of(member_field, "groups nest one level deep at most")
            count += _check(member, member_field, nested_allowed=False)
        elif isinstance(member, list):
            _check_atom(member, member_field)
            count += 1
        else:
            raise ValidationFailed.of(member_field, "must be a condition or a group")
        if count > MAX_ATOMS:
            break  # the caller says how many is too many
    return count


def _check_atom(atom: list[Any], field: str) -> None:
    if not all(isinstance(part, str) for part in atom) or len(atom) not in (2, 3):
        raise ValidationFailed.of(field, "must be [path, operator] or [path, operator, value]")
    path, operator = atom[0], atom[1]
    if len(path) > MAX_PATH_CHARS or _PATH.fullmatch(path) is None:
        raise ValidationFailed.of(
            f"{field}[0]",
            f"must name a value of the run: data.<key>, profile.<key> or recipient"
            f" (at most {MAX_PATH_CHARS} characters)",
        )
    if operator in PRESENCE:
        if len(atom) != 2:
            raise ValidationFailed.of(f"{field}[2]", f"{operator} compares with no value")
        return
    if operator not in COMPARISONS:
        raise ValidationFailed.of(
            f"{field}[1]", f"must be one of {', '.join([*COMPARISONS, *PRESENCE])}"
        )
    if len(atom) != 3:
        raise ValidationFailed.of(f"{field}[2]", f"{operator} needs a value to compare with")
    if len(atom[2]) > MAX_VALUE_CHARS:
        raise ValidationFailed.of(f"{field}[2]", f"is longer than {MAX_VALUE_CHARS} characters")


def conditions_met(raw: Any, scope: dict[str, Any]) -> bool:
    """Whether checked ``conditions`` hold for the run's ``scope`` (data, profile,
    recipient); a ``TemplateError`` when a value cannot be read or compared."""
    if isinstance(raw, list):
        return _atom_met(raw, scope)
    ((joiner, members),) = raw.items()
    results = (conditions_met(member, scope) for member in members)
    return all(results) if joiner == "AND" else any(results)


def _atom_met(atom: list[str], scope: dict[str, Any]) -> bool:
    value = evaluate(atom[0], scope)
    operator = atom[1]
    if operator in PRESENCE:
        present = value is not None and value != ""
        return present if operator == "exists" else not present
    operands = {"left": value, "right": _literal(atom[2])}
    return bool(evaluate(f"{COMPARISONS[operator]} left right", operands))


def _literal(text: str) -> Any:
    """An atom's value: a number when it reads as one, so ``["data.total", ">", "50"]``
    compares numbers even when the run's value came as text."""
    if _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


def describe(raw: Any) -> str:
    """The conditions as a reader of a run's steps sees them: ``data.plan equals pro``."""
    if isinstance(raw, list):
        return " ".join(raw)
    ((joiner, members),) = raw.items()
    return f" {joiner} ".join(
        describe(m) if isinstance(m, list) else f"({describe(m)})" for m in members
    )
