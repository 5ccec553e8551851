"""The in-app inbox: its entries, what Courier's inbox client filters them by, and the
changes a user makes to them (read, unread, opened, archived, unarchived, clicked).

An entry is the rendered message as the user's inbox keeps it. Its id orders the inbox
newest first (the send's acceptance time, inverted, then the message id), and is the same
on every delivery of the message, which is what makes storing it idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

# Ids order ascending; the inverted acceptance time puts the newest first.
_NEWEST_FIRST = 10**13
_ENTRY_ID = re.compile(r"[0-9]{13}-[0-9a-f]{32}")

InboxAction = Literal["read", "unread", "opened", "archive", "unarchive", "clicked"]
# The event each action records in the message's history when it changes the entry;
# opened and clicked are the message's own engagement (message.opened, message.clicked).
ACTION_EVENTS: dict[InboxAction, str] = {
    "read": "message.read",
    "unread": "message.unread",
    "archive": "message.archived",
    "unarchive": "message.unarchived",
    "opened": "message.opened",
    "clicked": "message.clicked",
}
# The entry's field each action sets (or, for unread and unarchive, clears).
_FIELD: dict[InboxAction, str] = {
    "read": "read_ms",
    "unread": "read_ms",
    "opened": "opened_ms",
    "archive": "archived_ms",
    "unarchive": "archived_ms",
    "clicked": "clicked_ms",
}
_CLEARS = ("unread", "unarchive")


def entry_id(enqueued_ms: int, message_id: str) -> str:
    return f"{_NEWEST_FIRST - enqueued_ms:013d}-{message_id}"


def is_entry_id(value: str) -> bool:
    """A cursor is an entry id: anything else is refused before it reaches a query."""
    return bool(_ENTRY_ID.fullmatch(value))


def new_entry(
    message_id: str,
    enqueued_ms: int,
    rendered: dict[str, Any],
    tags: tuple[str, ...] = (),
    tenant_id: str | None = None,
    stored_ms: int | None = None,
) -> dict[str, Any]:
    """The stored entry of a rendered inbox message, unread; ``stored_ms`` (when it is
    stored, the acceptance time unless given) is its first ``changed_ms``."""
    return {
        "message_id": message_id,
        "created_ms": enqueued_ms,
        "title": rendered.get("title", ""),
        "body": rendered.get("body", ""),
        "data": rendered.get("data") or {},
        "actions": rendered.get("actions") or [],
        "tags": list(tags),
        "tenant_id": tenant_id,
        "read_ms": None,
        "opened_ms": None,
        "archived_ms": None,
        "clicked_ms": None,
        "version": 0,
        # When the entry last changed, and how: what an open real-time connection listens
        # on (changes since it connected) and tells the client (the last action).
        "changed_ms": enqueued_ms if stored_ms is None else stored_ms,
        "last_action": None,
    }


def changed(entry: dict[str, Any], action: InboxAction, at_ms: int) -> dict[str, Any] | None:
    """The entry after ``action``, or None when it changes nothing (read twice, ...).

    Each change counts one more ``version``: what tells one change's history event from
    the next one's (read, unread, read again are three events).
    """
    field = _FIELD[action]
    if action in _CLEARS:
        if entry.get(field) is None:
            return None
        value: int | None = None
    else:
        if entry.get(field) is not None:
            return None  # Courier's times are the first ones
        value = at_ms
    update = {
        field: value,
        "version": int(entry.get("version", 0)) + 1,
        "changed_ms": at_ms,
        "last_action": action,
    }
    if action == "clicked" and entry.get("opened_ms") is None:
        update["opened_ms"] = at_ms  # a click implies the open, as for email
    return {**entry, **update}


# Courier's inbox socket events (courier-js 3.x ``InboxMessageEvent``) for each action.
SOCKET_EVENTS: dict[InboxAction, str] = {
    "read": "read",
    "unread": "unread",
    "opened": "opened",
    "archive": "archive",
    "unarchive": "unarchive",
    "clicked": "clicked",
}
NEW_MESSAGE_EVENT = "message"
# The field each set/cleared pair of events follows, in the order they are told.
_FIELD_EVENTS = (
    ("read_ms", "read", "unread"),
    ("archived_ms", "archive", "unarchive"),
    ("opened_ms", "opened", "unopened"),
    ("clicked_ms", "clicked", None),
)


def socket_events(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """What Courier's inbox socket is told of an entry's change, from its state before
    (None when the connection has not seen it) to after.

    An entry seen for the first time is new (version 0) or tells its last action; one seen
    before tells each field that moved, so changes that reach the listener as one (read
    then archived) are each told.
    """
    if before is None:
        if int(after.get("version", 0)) == 0:
            return [NEW_MESSAGE_EVENT]
        last = after.get("last_action")
        return [SOCKET_EVENTS[last]] if last in SOCKET_EVENTS else []
    told: list[str] = []
    for field, when_set, when_cleared in _FIELD_EVENTS:
        was, now = before.get(field) is not None, after.get(field) is not None
        if now and not was:
            told.append(when_set)
        elif was and not now and when_cleared is not None:
            told.append(when_cleared)
    return told


@dataclass(frozen=True)
class InboxFilter:
    """Courier's ``FilterParamsInput``: each field given narrows the entries (AND)."""

    status: Literal["read", "unread"] | None = None
    # None: the active inbox (archived entries left out), as Courier's default; True: the
    # archived ones only; False: the active ones.
    archived: bool | None = None
    tags: tuple[str, ...] = ()  # any of them
    from_ms: int | None = None  # created at or after
    tenant_id: str | None = None  # Courier's accountId

    def admits(self, entry: dict[str, Any]) -> bool:
        archived = entry.get("archived_ms") is not None
        if archived != bool(self.archived):
            return False
        if self.status is not None and (entry.get("read_ms") is not None) != (
            self.status == "read"
        ):
            return False
        if self.tags and not set(self.tags) & set(entry.get("tags") or ()):
            return False
        if self.from_ms is not None and int(entry.get("created_ms", 0)) < self.from_ms:
            return False
        return self.tenant_id is None or entry.get("tenant_id") == self.tenant_id
