"""Turns pydantic's errors into Herald's: the field, by its JSON path, and the reason."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from herald.domain.send import (
    NOT_YET_SUPPORTED_MESSAGE_FIELDS,
    NOT_YET_SUPPORTED_METADATA_FIELDS,
    NOT_YET_SUPPORTED_RECIPIENT_FIELDS,
    NOT_YET_SUPPORTED_TIMEOUT_FIELDS,
)
from herald.errors import FieldError


def _path(loc: tuple[int | str, ...], to_is_list: bool) -> str:
    parts: list[str] = []
    for index, item in enumerate(loc):
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
        elif "metadata" in parent:
            known = NOT_YET_SUPPORTED_METADATA_FIELDS
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
    errors = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        errors.append(FieldError(_path(loc, to_is_list) or "body", _reason(error, loc)))
    return errors
