"""Validating Courier content into Elemental models, with errors that name their path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from herald.elemental.models import BUDGET, ELEMENT_TYPES, ElementalContent
from herald.errors import FieldError, ValidationFailed
from herald.templating import Budget


def is_elemental(content: Mapping[str, Any]) -> bool:
    """Elemental rather than the plain ``{title, body}`` form."""
    return "elements" in content or "version" in content


def parse_elemental(content: Any, field: str = "content") -> ElementalContent:
    """Raises ``ValidationFailed`` naming each bad field, e.g. ``content.elements[2].type``.

    Every template of the content is compiled from one budget: however many strings it
    holds, checking it costs no more than rendering one.
    """
    budget = Budget()
    try:
        return ElementalContent.model_validate(content, context={BUDGET: budget})
    except ValidationError as exc:
        errors = [_field_error(field, error) for error in exc.errors()]
    if budget.used > budget.limits.fuel:
        # Every template after the budget ran out fails alike: the first one says it.
        out_of_fuel = [e for e in errors if e.reason.endswith("units of fuel")]
        errors = [e for e in errors if e not in out_of_fuel[1:]]
    raise ValidationFailed(errors) from None


def _field_error(field: str, error: ErrorDetails) -> FieldError:
    path = field
    loc = list(error["loc"])
    kind = error["type"]
    index = 0
    while index < len(loc):
        part = loc[index]
        if isinstance(part, int):
            path += f"[{part}]"
            # A discriminated union puts the element's type after its index: not a field.
            if index + 1 < len(loc) and loc[index + 1] in ELEMENT_TYPES:
                index += 1
        else:
            path += f".{part}"
        index += 1
    reason = error["msg"].removeprefix("Value error, ")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        path += ".type"
        given = error.get("ctx", {}).get("tag")
        if kind == "union_tag_not_found":
            reason = "is required"
        elif given == "channel":
            reason = "channel elements are only valid at the top level"
        else:
            expected = ", ".join(t for t in ELEMENT_TYPES)
            reason = f"unknown element type {given!r}; expected one of {expected}"
    elif kind == "missing":
        reason = "is required"
    elif kind == "extra_forbidden":
        reason = "is not a field of this element"
    return FieldError(path, reason)
