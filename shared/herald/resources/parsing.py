"""Parsing request bodies into models, with Herald's field-by-field errors."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from herald.domain.views import Paging
from herald.errors import FieldError, ValidationFailed
from herald.resources.validation import field_errors
from herald.store.documents import DocPath, Document, DocumentStore

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_body(model: type[ModelT], body: Any) -> ModelT:
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, to_is_list=True)) from exc


def iso(ms: int | None) -> str | None:
    """Courier's timestamps in these APIs: ISO 8601 strings."""
    if ms is None:
        return None
    return (
        datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


PAGE_SIZE = 100
# Courier's ``limit`` of its newer lists: 20 unless given, at most 100.
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def page_limit(query: Mapping[str, str], default: int = DEFAULT_LIMIT) -> int:
    """The request's ``limit``, checked (a 400 naming it)."""
    raw = query.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed.of("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def paging(cursor: str | None) -> dict[str, Any]:
    return Paging(cursor=cursor, more=cursor is not None).as_json()


def page_of(
    documents: DocumentStore,
    workspace: str,
    collection: DocPath,
    cursor: str | None,
    key: str,
    view: Callable[[str, Document], Any] = lambda _id, document: document,
) -> dict[str, Any]:
    """A page of a collection in Courier's shape: ``{key: [...], "paging": {cursor, more}}``.

    A full page may have more behind it: its last id is the cursor of the next.
    """
    page = documents.page(workspace, collection, cursor, PAGE_SIZE)
    more = len(page) == PAGE_SIZE
    return {
        key: [view(doc_id, document) for doc_id, document in page],
        "paging": paging(page[-1][0] if more else None),
    }
