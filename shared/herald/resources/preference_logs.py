"""Courier's preference change log (``GET /preferences/logs``): the entries that each
change of a user's choice appended (``herald.domain.preference_log``), newest first."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from herald.domain.preference_log import PREFERENCE_LOG
from herald.errors import ValidationFailed
from herald.resources.parsing import iso, page_limit
from herald.store.documents import Document, DocumentStore

DEFAULT_LOG_LIMIT = 25  # Courier's
SCAN_PAGE = 100
MAX_SCANNED_PAGES = 10  # a filtered page reads at most this many pages of entries


def entry_view(entry_id: str, stored: Document) -> dict[str, Any]:
    """Courier's ``PreferenceChangeLogEntry``."""
    view = {
        "id": entry_id,
        "user_id": stored["user_id"],
        "topic_id": stored["topic_id"],
        "topic_name": stored["topic_name"],
        "status": stored["status"],
        "has_custom_routing": stored["has_custom_routing"],
        "custom_routing": stored["custom_routing"],
        "timestamp": iso(stored["at_ms"]),
    }
    if stored.get("previous") is not None:
        view["previous"] = stored["previous"]
    return view


def _since_ms(raw: str | None) -> int | None:
    """An ISO 8601 date (the start of that day in UTC) or date-time, in epoch ms."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            moment = datetime.datetime.fromisoformat(raw).replace(tzinfo=datetime.UTC)
        else:
            moment = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.of("since", "must be an ISO 8601 date or date-time") from None
    if moment.tzinfo is None:
        raise ValidationFailed.of("since", "a date-time needs its offset (Z for UTC)")
    return int(moment.timestamp() * 1000)


def find_changes(documents: DocumentStore, workspace: str, query: Mapping[str, str]) -> Any:
    """A page of changes, newest first, filtered by ``user_id`` and ``since``.

    A filtered page reads at most 1000 entries: it may be short, with ``more`` true and
    the cursor to read on from.
    """
    limit = page_limit(query, DEFAULT_LOG_LIMIT)
    user_id = query.get("user_id") or None
    if query.get("tenant_id") and not user_id:
        raise ValidationFailed.of("tenant_id", "only together with user_id")
    since = _since_ms(query.get("since"))
    after = query.get("cursor") or None
    items: list[dict[str, Any]] = []
    for _ in range(MAX_SCANNED_PAGES):
        page = documents.page(workspace, PREFERENCE_LOG, after, SCAN_PAGE)
        for entry_id, stored in page:
            if since is not None and stored["at_ms"] < since:
                return {"items": items, "paging": {"more": False}}
            after = entry_id
            # Herald keeps a user's choices per workspace: none was made in a tenant.
            if query.get("tenant_id") or (user_id and stored["user_id"] != user_id):
                continue
            items.append(entry_view(entry_id, stored))
            if len(items) == limit:
                return {"items": items, "paging": {"more": True, "cursor": entry_id}}
        if len(page) < SCAN_PAGE:
            return {"items": items, "paging": {"more": False}}
    return {"items": items, "paging": {"more": True, "cursor": after}}
