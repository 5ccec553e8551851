"""Turns pydantic's errors into Herald's: the field, by its JSON path, and the reason."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from herald.domain.send import (
    NOT_YET_SUPPORTED_CHANNEL_FIELDS,
    NOT_YET_SUPPORTED_MESSAGE_FIELDS,
    NOT_YET_SUPPORTED_METADATA_FIELDS,
    NOT_YET_SUPPORTED_OVERRIDE_FIELDS,
    NOT_YET_SUPPORTED_PROVIDER_FIELDS,
    NOT_YET_SUPPORTED_RECIPIENT_FIELDS,
    NOT_YET_SUPPORTED_TIMEOUT_FIELDS,
)
from herald.errors import FieldError


def _path(loc: tuple[int | str, ...], to_is_list: bool) -> str:
    parts: list[str] = []
    for index, item in enumerate(loc):
        if isinstance(item, str) and ("[" in item or "(" in item):
            continue  # pydantic's tag of a union member, e.g. "literal['email', ...]"
        if isinstance(item, int):
            # A single recipient is reported as message.to, not message.to[0].
            if not to_is_list and loc[index - 1 : index] == ("to",):
                continue
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(item)
    return ".".join(parts)


def _reason(error: Any, loc: tuple[int | str, ...]) -> str:
    if error["type"] == "extra_forbidden":
        name = loc[-1]
        parent = loc[:-1]
        if "to" in parent:
            known = NOT_YET_SUPPORTED_RECIPIENT_FIELDS
        elif "override" in parent:
            known = NOT_YET_SUPPORTED_OVERRIDE_FIELDS
        elif "metadata" in parent:
            known = NOT_YET_SUPPORTED_METADATA_FIELDS
        elif "channels" in parent and "routing" not in parent:
            known = NOT_YET_SUPPORTED_CHANNEL_FIELDS
        elif "providers" in parent:
            known = NOT_YET_SUPPORTED_PROVIDER_FIELDS
        elif "timeout" in parent:
            known = NOT_YET_SUPPORTED_TIMEOUT_FIELDS
        else:
            known = NOT_YET_SUPPORTED_MESSAGE_FIELDS
        if name in known:
            return "is a Courier field Herald does not support yet"
        return "is not a known field"
    if error["type"] == "missing":
        return "is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def field_errors(exc: ValidationError, to_is_list: bool) -> list[FieldError]:
    errors: dict[str, FieldError] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        path = _path(loc, to_is_list) or "body"
        # A union reports each member's complaint: the first one is the one meant.
        errors.setdefault(path, FieldError(path, _reason(error, loc)))
    # ...and where one member got further into the input, its deeper complaint.
    return [
        error
        for path, error in errors.items()
        if not any(other.startswith((f"{path}.", f"{path}[")) for other in errors)
    ]
