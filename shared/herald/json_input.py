"""Parsing a JSON body from a caller: only what Herald can store and answer with.

``json.loads`` alone accepts what Firestore cannot store or Herald cannot echo back
as JSON: ``NaN`` and ``Infinity`` (and ``1e400``, which becomes infinity), integers
beyond 64 bits, strings with lone surrogates (``"\\ud800"``), and nesting deep
enough to exhaust the interpreter's stack. Each is a 400 naming where it is.
"""

from __future__ import annotations

import json
import math
from typing import Any

from herald.errors import ValidationFailed

# Deeper than any body Herald takes (routing nests 5 levels, data 20, Elemental groups
# a few), far below the interpreter's recursion limit.
MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class _NonFinite:
    """What ``NaN``, ``Infinity`` and ``-Infinity`` parse to, to be refused by their path."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _problem(value: Any) -> str | None:
    kind = type(value)
    # The common leaves first, by exact type (a body has dozens of them).
    if kind is str:
        return _SURROGATE if _has_lone_surrogate(value) else None
    if kind is bool or value is None:
        return None
    if isinstance(value, _NonFinite):
        return f"is {value.literal}, which is not a number JSON allows"
    if isinstance(value, float) and not math.isfinite(value):
        return "is a number too large to store (beyond ±1.8e308)"
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return "is an integer outside the 64-bit range Herald can store"
    if isinstance(value, str) and _has_lone_surrogate(value):
        return _SURROGATE
    return None


_SURROGATE = "has a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"


def _child(path: str, key: str | int) -> str:
    """As the API names fields: ``message.to[0].email``; the body itself is ``body``."""
    parent = "" if path == "body" else path
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def check_json_value(value: Any, path: str = "body") -> None:
    """Refuses, naming the field, what ``_problem`` finds anywhere in ``value``."""
    # A value's path is spelled only when it is needed: for a container's children, or
    # for a problem.
    stack: list[tuple[Any, str, str | int | None, int]] = [(value, path, None, 0)]
    while stack:
        item, parent, key, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            where = parent if key is None else _child(parent, key)
            if depth >= MAX_DEPTH:
                raise ValidationFailed.of(where, f"is nested more than {MAX_DEPTH} levels deep")
            if kind is dict:
                for name, child in item.items():
                    if _has_lone_surrogate(name):
                        raise ValidationFailed.of(
                            where, "has a key with a lone UTF-16 surrogate, which is not text"
                        )
                    stack.append((child, where, name, depth + 1))
            else:
                stack.extend((child, where, i, depth + 1) for i, child in enumerate(item))
        elif problem := _problem(item):
            raise ValidationFailed.of(parent if key is None else _child(parent, key), problem)


def parse_json(raw: bytes | str, path: str = "body") -> Any:
    """The parsed body, or a 400 that names the field at fault and why."""
    try:
        value = json.loads(raw, parse_constant=_NonFinite)
    except RecursionError:
        raise ValidationFailed.of(path, f"is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.of(path, f"is not valid JSON: {exc}") from exc
    check_json_value(value, path)
    return value
