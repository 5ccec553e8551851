"""In-memory repositories with the same behaviour as Firestore's, for unit tests."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from typing import Any

from herald.clock import now_ms
from herald.domain.message import MessageState, RequestRecord
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.registry import spec_for
from herald.store.base import (
    MAX_ATTEMPTS_READ,
    ApiKeyRecord,
    Attempt,
    Decide,
    IgnoredEvent,
    MessageSummary,
    ScheduledEvent,
    SummaryQuery,
    WorkspaceSettings,
    receipt_id,
    request_of_one,
    request_stored_apart,
    sequence_events,
    sort_key,
    take_lease,
)
from herald.store.summary_fold import fold_events
from herald.store.template_metrics import (
    MAX_COUNTERS_READ,
    BucketCounts,
    CounterKey,
    Increments,
    Unit,
    apply,
    bucket_start,
    counted,
    in_window,
    increments,
)


class InMemoryMessages:
    def __init__(
        self,
        summaries: InMemorySummaries | None = None,
        template_metrics: InMemoryTemplateMetrics | None = None,
    ) -> None:
        self._lock = threading.RLock()
        # The list's read view, kept in each commit as Firestore's backend keeps it.
        self.summaries = summaries if summaries is not None else InMemorySummaries()
        # Each template's funnel, counted in the same commit.
        self.template_metrics = template_metrics or InMemoryTemplateMetrics()
        self.requests: dict[tuple[str, str], RequestRecord] = {}
        self.messages: dict[tuple[str, str], MessageState] = {}
        self.events: dict[tuple[str, str], list[EventEnvelope]] = {}
        self.published: set[str] = set()
        self.receipts: set[tuple[str, str, str]] = set()
        self.outbox: list[EventEnvelope] = []  # every committed event, in commit order
        self.ignored_events: dict[tuple[str, str, str], IgnoredEvent] = {}

    def create_request(
        self, request: RequestRecord, messages: Sequence[tuple[MessageState, Sequence[NewEvent]]]
    ) -> None:
        with self._lock:
            keys = [(request.workspace, m.id) for m, _ in messages]
            if (request.workspace, request.id) in self.requests or any(
                k in self.messages for k in keys
            ):
                raise KeyError(f"request {request.id} or one of its messages exists")  # as create()
            if request_stored_apart(request, messages):
                self.requests[(request.workspace, request.id)] = request
            for message, events in messages:
                self._commit(message, events, listed=False)  # from its first transition on

    def _commit(
        self, message: MessageState, events: Sequence[NewEvent], listed: bool = True
    ) -> list[EventEnvelope]:
        stored, envelopes = sequence_events(message, events)
        key = (stored.workspace, stored.id)
        previous = self.messages.get(key)
        self.messages[key] = stored
        self.events.setdefault(key, []).extend(envelopes)
        self.outbox.extend(envelopes)
        # What no function consumes is history only: nothing to publish (as Firestore's).
        self.published.update(e.id for e in envelopes if spec_for(e.type).history_only)
        if listed and stored.listed:
            history = self.events[key]

            def folded(current: MessageSummary | None) -> MessageSummary | None:
                # A summary's first fold takes what the message was created with too.
                after = fold_events(current, envelopes if current else history)
                found = counted(previous, stored, current, after)
                for key, added in increments(stored.template or "", stored.id, found).items():
                    self.template_metrics.add(stored.workspace, key, added)
                return after

            self.summaries.apply(stored.workspace, stored.id, folded)
        return envelopes

    def get_request(self, workspace: str, request_id: str) -> RequestRecord | None:
        if (found := self.requests.get((workspace, request_id))) is not None:
            return found
        message = self.messages.get((workspace, request_id))
        return request_of_one(message) if message is not None else None

    def get_message(self, workspace: str, message_id: str) -> MessageState | None:
        message = self.messages.get((workspace, message_id))
        return message.model_copy(deep=True) if message is not None else None

    def get_messages(self, workspace: str, message_ids: Sequence[str]) -> list[MessageState]:
        found = (self.get_message(workspace, mid) for mid in message_ids)
        return [message for message in found if message is not None]

    def history(self, workspace: str, message_id: str) -> list[EventEnvelope]:
        return list(self.events.get((workspace, message_id), []))

    def transition(
        self, workspace: str, message_id: str, consumer: str, event_id: str, decide: Decide
    ) -> list[EventEnvelope] | None:
        with self._lock:
            receipt = (workspace, message_id, receipt_id(consumer, event_id))
            current = self.messages.get((workspace, message_id))
            if receipt in self.receipts or current is None:
                return None
            change = decide(current.model_copy(deep=True))
            if change is None:
                return None
            if any((workspace, child.id) in self.messages for child, _ in change.children):
                raise KeyError("a fanned-out message exists already")  # as create()
            self.receipts.add(receipt)
            for child, events in change.children:
                self._commit(child, events)
            return self._commit(change.message, change.events)

    def record_ignored(self, ignored: IgnoredEvent) -> None:
        with self._lock:
            self.ignored_events[(ignored.workspace, ignored.message_id, ignored.key)] = ignored

    def ignored(self, workspace: str, message_id: str) -> list[IgnoredEvent]:
        found = [
            i
            for (ws, mid, _), i in self.ignored_events.items()
            if (ws, mid) == (workspace, message_id)
        ]
        return sorted(found, key=lambda i: i.seen_ms)

    def mark_digest_taken(self, workspace: str, message_id: str) -> None:
        with self._lock:
            if (found := self.messages.get((workspace, message_id))) is not None:
                found.awaiting_digest = False

    def mark_published(self, workspace: str, message_id: str, seq: int) -> None:
        if not any(e.seq == seq for e in self.events.get((workspace, message_id), [])):
            raise KeyError(f"no outbox record {workspace}/{message_id}/{seq}")  # as update()
        self.published.add(f"{workspace}:{message_id}:{seq}")


class InMemoryAttempts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attempts: dict[tuple[str, str, str], Attempt] = {}

    def claim(
        self,
        workspace: str,
        message_id: str,
        attempt_id: str,
        channel: str,
        owner: str,
        lease_ms: int,
    ) -> Attempt:
        with self._lock:
            key = (workspace, message_id, attempt_id)
            new = Attempt(id=attempt_id, channel=channel, updated_ms=now_ms())
            attempt = take_lease(self.attempts.get(key), new, owner, lease_ms)
            self.attempts[key] = attempt.model_copy(deep=True)
            return attempt

    def of_message(self, workspace: str, message_id: str) -> list[Attempt]:
        with self._lock:
            found = [
                attempt.model_copy(deep=True)
                for (ws, message, _), attempt in self.attempts.items()
                if (ws, message) == (workspace, message_id)
            ]
        return sorted(found, key=lambda a: (a.first_try_ms or a.updated_ms, a.id))[
            :MAX_ATTEMPTS_READ
        ]

    def save(self, workspace: str, message_id: str, attempt: Attempt) -> None:
        with self._lock:
            self.attempts[(workspace, message_id, attempt.id)] = attempt.model_copy(deep=True)


class InMemoryTemplateMetrics:
    def __init__(self, most: int = MAX_COUNTERS_READ) -> None:
        self._lock = threading.Lock()
        self.most = most
        # Each counter as Firestore stores it: its identity, day counts and map of hours.
        self.counters: dict[tuple[str, CounterKey], dict[str, Any]] = {}

    def add(self, workspace: str, key: CounterKey, added: Increments) -> None:
        with self._lock:
            counter = self.counters.setdefault((workspace, key), key.identity())
            apply(counter, added, lambda value, n: (value or 0) + n)

    def counts(
        self, workspace: str, template: str, unit: Unit, start_ms: int, end_ms: int
    ) -> list[BucketCounts]:
        first_day = bucket_start("day", start_ms)
        with self._lock:
            found = [
                copy.deepcopy(counter)
                for (ws, key), counter in self.counters.items()
                if ws == workspace and key.template == template and first_day <= key.day_ms < end_ms
            ][: self.most + 1]
        return in_window(unit, found, start_ms, end_ms, self.most)


class InMemorySummaries:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.summaries: dict[tuple[str, str], MessageSummary] = {}

    def apply(
        self,
        workspace: str,
        message_id: str,
        merge: Callable[[MessageSummary | None], MessageSummary | None],
    ) -> bool:
        with self._lock:
            merged = merge(self.summaries.get((workspace, message_id)))
            if merged is None:
                return False
            self.summaries[(workspace, message_id)] = merged
            return True

    def list(self, workspace: str, query: SummaryQuery) -> list[MessageSummary]:
        with self._lock:
            found = [s for (ws, _), s in self.summaries.items() if ws == workspace]
        matching = [s for s in found if query.matches(s)]
        # Firestore breaks ties of the sort field by document id, in the same direction.
        return sorted(matching, key=sort_key, reverse=True)[: query.limit]


class InMemoryKeys:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKeyRecord] = {}

    def workspace_for(self, key_hash: str) -> str | None:
        record = self.keys.get(key_hash)
        return record.workspace if record is not None and record.revoked_ms is None else None

    def put(self, key_hash: str, workspace: str, hint: str = "") -> ApiKeyRecord:
        record = ApiKeyRecord(
            key_hash=key_hash, workspace=workspace, created_ms=now_ms(), hint=hint
        )
        self.keys[key_hash] = record
        return record

    def list(self, workspace: str | None = None) -> list[ApiKeyRecord]:
        found = [r for r in self.keys.values() if workspace is None or r.workspace == workspace]
        return sorted(found, key=lambda r: (r.created_ms, r.key_hash))

    def revoke(self, key_id: str) -> ApiKeyRecord | None:
        record = next((r for r in self.keys.values() if r.key_id == key_id), None)
        if record is not None and record.revoked_ms is None:
            record.revoked_ms = now_ms()
        return record


class InMemorySweep:
    """The sweeper's scans over an ``InMemoryMessages``."""

    def __init__(self, messages: InMemoryMessages) -> None:
        self.messages = messages

    def unpublished_events(self, older_than_ms: int, limit: int) -> list[EventEnvelope]:
        return [
            e
            for e in self.messages.outbox
            if e.id not in self.messages.published and e.occurred_ms < older_than_ms
        ][:limit]

    def stuck_messages(
        self, statuses: Sequence[str], older_than_ms: int, limit: int
    ) -> list[MessageState]:
        return [
            m.model_copy(deep=True)
            for m in self.messages.messages.values()
            if m.status in statuses and (m.updated_ms or 0) < older_than_ms
        ][:limit]

    def untaken_digest_items(self, older_than_ms: int, limit: int) -> list[MessageState]:
        return [
            m.model_copy(deep=True)
            for m in self.messages.messages.values()
            if m.awaiting_digest is True and (m.updated_ms or 0) < older_than_ms
        ][:limit]


class InMemoryWorkspaces:
    def __init__(self) -> None:
        self.saved: dict[str, WorkspaceSettings] = {}

    def settings(self, workspace: str) -> WorkspaceSettings:
        return self.saved.get(workspace, WorkspaceSettings()).model_copy(deep=True)

    def save_settings(self, workspace: str, settings: WorkspaceSettings) -> None:
        self.saved[workspace] = settings.model_copy(deep=True)


class InMemoryTimers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: dict[tuple[str, str, str], ScheduledEvent] = {}

    def schedule(self, entry: ScheduledEvent) -> None:
        with self._lock:
            self.entries[(entry.workspace, entry.message_id, entry.key)] = entry

    def due(self, now_ms: int, limit: int) -> list[ScheduledEvent]:
        with self._lock:
            found = [e for e in self.entries.values() if e.due_ms <= now_ms]
        return sorted(found, key=lambda e: e.due_ms)[:limit]

    def remove(self, entry: ScheduledEvent) -> None:
        with self._lock:
            self.entries.pop((entry.workspace, entry.message_id, entry.key), None)

    def pending(self, workspace: str, message_id: str) -> bool:
        with self._lock:
            return any((ws, mid) == (workspace, message_id) for ws, mid, _ in self.entries)
