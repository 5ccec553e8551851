"""Expanding a list send (or a send to many recipients) into a message each.

A chunk per transaction: the next recipients become messages of their own, each
with its first event, in the same commit that moves the fan-out's cursor and
records a ``message.fanned_out`` event, which brings render back for the next
chunk. A crash between chunks resumes from the cursor; a duplicate event finds
the cursor moved and changes nothing.

The fan-out's own record is the one document a list send writes again and
again, once per chunk: a chunk waits until a second has passed since the last
write of it (Firestore sustains about one write a second per document).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from herald.clock import now_ms
from herald.domain.audience_filter import AudienceFilter
from herald.domain.message import FanOut, MessageState
from herald.domain.status import MessageStatus, Reason
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import MessageFannedOut, MessageUndeliverable
from herald.ids import message_id_for
from herald.pipeline.accepting import (
    COMMIT_BUDGET_BYTES,
    enqueued_event,
    message_bytes,
    message_trace_root,
)
from herald.resources.audiences import audience_path, matching
from herald.resources.bulk import bulk_cursor, bulk_message_id, job_path, pages_of
from herald.resources.members import members_of
from herald.store.base import MessageRepository, Transition
from herald.store.documents import DocumentStore

# Each new message costs three writes (itself, its first outbox record, its summary);
# a Firestore transaction takes at most 500.
CHUNK = 100
# Profiles one step of an audience's fan-out reads, at most (its filter is evaluated
# on each: profiles are not indexed by attribute).
AUDIENCE_SCAN = 1000
# A fan-out expands from these: a delayed one once its time has come.
_EXPANDABLE = frozenset({MessageStatus.ENQUEUED, MessageStatus.DELAYED})
# The least time between two writes of a fan-out's record.
MIN_WRITE_INTERVAL_MS = 1000


@dataclass(frozen=True)
class Found:
    """The next recipients, the cursor after them, whether they are the last, and what
    else the fan-out's record keeps from this step."""

    recipients: list[dict[str, Any]]
    cursor: str | None
    done: bool
    kept: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # The message id of each recipient, where the fan-out decides them itself.
    message_ids: list[str] | None = None


def _next_recipients(
    message: MessageState, documents: DocumentStore | None, chunk: int
) -> Found | None:
    """None if the list, tenant or audience does not exist."""
    fanout = message.fanout
    assert fanout is not None
    if fanout.audience_id is not None:
        return _next_audience_members(message, documents, chunk)
    if fanout.bulk_job_id is not None:
        return _next_bulk_users(message, documents, chunk)
    members = members_of(fanout)
    if members is None:
        start = int(fanout.cursor or 0)
        batch = fanout.recipients[start : start + chunk]
        end = start + len(batch)
        return Found(batch, str(end), end >= len(fanout.recipients))
    if documents is None:
        return None
    if fanout.cursor is None and not members.live(documents.get(message.workspace, members.parent)):
        return None
    page = documents.page(message.workspace, members.collection, fanout.cursor, chunk)
    # A tenant's users are sent to in the tenant's context, as ``to.tenant_id`` asks.
    tenant = {"tenant_id": fanout.tenant_id} if fanout.tenant_id else {}
    recipients = [
        {"user_id": user_id, **tenant, **({"data": fanout.data} if fanout.data else {})}
        for user_id, _ in page
    ]
    cursor = page[-1][0] if page else fanout.cursor
    return Found(recipients, cursor, len(page) < chunk)


def _next_audience_members(
    message: MessageState, documents: DocumentStore | None, chunk: int
) -> Found | None:
    """The next profiles the audience's filter matches, scanning at most
    ``AUDIENCE_SCAN`` profiles; the filter is the one read at the first step."""
    fanout = message.fanout
    assert fanout is not None and fanout.audience_id is not None
    if documents is None:
        return None
    kept: dict[str, Any] = {}
    if fanout.audience_filter is None:
        stored = documents.get(message.workspace, audience_path(fanout.audience_id))
        if stored is None:
            return None
        kept["audience_filter"] = stored["filter"]
    audience_filter = AudienceFilter.model_validate(
        fanout.audience_filter or kept["audience_filter"]
    )
    room = chunk if fanout.limit is None else min(chunk, fanout.limit - fanout.created)
    if room <= 0:
        return Found(
            [],
            fanout.cursor,
            True,
            kept,
            f"audience {fanout.audience_id} matched more profiles than the {fanout.limit:,}"
            " messages this request could still make; the profiles after"
            f" {fanout.cursor} were not sent to",
        )
    users, cursor, done = matching(
        documents, message.workspace, audience_filter, fanout.cursor, room, AUDIENCE_SCAN
    )
    data = {"data": fanout.data} if fanout.data else {}
    return Found([{"user_id": user_id, **data} for user_id in users], cursor, done, kept)


def _next_bulk_users(
    message: MessageState, documents: DocumentStore | None, chunk: int
) -> Found | None:
    """The next users of a bulk job: the rest of a stored page, at most ``chunk``."""
    fanout = message.fanout
    assert fanout is not None and fanout.bulk_job_id is not None
    if documents is None:
        return None
    job_id = fanout.bulk_job_id
    if fanout.cursor is None and documents.get(message.workspace, job_path(job_id)) is None:
        return None
    page_key, offset = bulk_cursor(fanout.cursor)
    if offset is not None:
        page = documents.get(message.workspace, (*pages_of(job_id), page_key or "")) or {}
    else:
        pages = documents.page(message.workspace, pages_of(job_id), page_key, 1)
        if not pages:
            return Found([], fanout.cursor, True)
        (page_key, page), offset = pages[0], 0
    assert page_key is not None
    users = page.get("users") or []
    batch = users[offset : offset + chunk]
    end = offset + len(batch)
    if end < len(users):
        cursor, done = f"{page_key}:{end}", False
    else:
        cursor = page_key
        done = not documents.page(message.workspace, pages_of(job_id), page_key, 1)
    return Found(
        [user["recipient"] for user in batch],
        cursor,
        done,
        message_ids=[
            bulk_message_id(message.request_id, user["index"], user["recipient"]) for user in batch
        ],
    )


def _label(fanout: FanOut) -> str:
    if fanout.bulk_job_id is not None:
        return f"bulk job {fanout.bulk_job_id}"
    if fanout.audience_id is not None:
        return f"audience {fanout.audience_id}"
    members = members_of(fanout)
    return members.label if members else "the audience"


def _child(
    parent: MessageState, recipient: dict[str, Any], message_id: str | None = None
) -> MessageState:
    fanout = parent.fanout
    key = {"list_id": fanout.list_id, **recipient} if fanout else recipient
    if fanout is not None and fanout.audience_id is not None:
        key = {"audience_id": fanout.audience_id, **key}
    message_id = message_id or message_id_for(parent.request_id, key)
    return parent.model_copy(
        update={
            "id": message_id,
            "recipient": recipient,
            "fanout": None,
            "seq": 0,
            "updated_ms": None,
            "traceparent": message_trace_root(message_id, parent.request_id),
        },
        deep=True,
    )


class FanOutService:
    consumer = "render"

    def __init__(
        self,
        messages: MessageRepository,
        documents: DocumentStore | None,
        chunk: int = CHUNK,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.messages = messages
        self.documents = documents
        self.chunk = chunk
        self.sleep = sleep
        self.clock = clock

    def expand(self, event: EventEnvelope, message: MessageState) -> bool:
        """Expands the next chunk; False if the event changed nothing (late or twice)."""
        fanout = message.fanout
        assert fanout is not None
        if message.status not in _EXPANDABLE or fanout.done:
            return False  # the last chunk's event, or one late: nothing left to expand
        # A chunk's messages are committed together: as many as fit the commit budget.
        chunk = max(1, min(self.chunk, COMMIT_BUDGET_BYTES // message_bytes(message)))
        found = _next_recipients(message, self.documents, chunk)
        if (wait_ms := (message.updated_ms or 0) + MIN_WRITE_INTERVAL_MS - self.clock()) > 0:
            self.sleep(wait_ms / 1000)

        def decide(current: MessageState) -> Transition | None:
            if (
                current.status not in _EXPANDABLE
                or current.fanout is None
                or current.fanout.done
                or current.fanout.cursor != fanout.cursor
            ):
                return None  # another delivery of this event got here first
            if found is None:
                gone = current.model_copy(
                    update={
                        "status": MessageStatus.UNDELIVERABLE,
                        "reason": Reason.FAILED,
                        "error": f"{_label(fanout)} does not exist",
                    }
                )
                return Transition(
                    gone,
                    [
                        NewEvent(
                            "message.undeliverable",
                            MessageUndeliverable(
                                reason=Reason.FAILED, error=gone.error, fanout=True
                            ),
                        )
                    ],
                )
            cursor, done = found.cursor, found.done
            ids: list[str | None] = (
                list(found.message_ids)
                if found.message_ids is not None
                else [None] * len(found.recipients)
            )
            children = [
                _child(current, recipient, message_id)
                for recipient, message_id in zip(found.recipients, ids, strict=True)
            ]
            progressed = FanOut.model_validate(
                {
                    **fanout.model_dump(),
                    **found.kept,
                    "cursor": cursor,
                    "created": fanout.created + len(children),
                    "done": done,
                }
            )
            expanded = current.model_copy(
                update={
                    "fanout": progressed,
                    "status": MessageStatus.FANNED_OUT if done else MessageStatus.ENQUEUED,
                    **({"error": found.error} if found.error else {}),
                }
            )
            return Transition(
                expanded,
                [
                    NewEvent(
                        "message.fanned_out",
                        MessageFannedOut(
                            created=len(children),
                            cursor=cursor,
                            done=done,
                            total=progressed.created,
                        ),
                    )
                ],
                [(child, [enqueued_event(child)]) for child in children],
            )

        applied = self.messages.transition(
            event.workspace, event.message_id, self.consumer, event.id, decide
        )
        return applied is not None
