"""Firestore repositories.

Layout, every path scoped to the workspace of the API key:

    api_keys/{sha256 of key}                             -> workspace, key_id, hint, created, revoked
    workspaces/{ws}/requests/{request}
    workspaces/{ws}/messages/{message}                   state, the one source of truth
    workspaces/{ws}/messages/{message}/events/{seq}      the outbox, doubling as history
    workspaces/{ws}/messages/{message}/history/{seq}     events kept as history only
    workspaces/{ws}/messages/{message}/receipts/{id}     events already applied (TTL)
    workspaces/{ws}/messages/{message}/attempts/{id}     provider attempts
    workspaces/{ws}/summaries/{message}                  the list's read view, kept in the
                                                         message's own commits
    workspaces/{ws}/template_metrics/{counter}           each template's funnel, counted in
                                                         the same commits
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath
from opentelemetry import trace

from herald.clock import now_ms
from herald.domain.message import MessageState, RequestRecord
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.registry import spec_for
from herald.observability import tracing
from herald.store.base import (
    MAX_ATTEMPTS_READ,
    RECEIPT_TTL_MS,
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
    take_lease,
)
from herald.store.firestore_commit import Committer, committer_for
from herald.store.firestore_transactions import read_in, run_transaction
from herald.store.firestore_writes import stage_create, stage_set
from herald.store.summary_fold import fold_events
from herald.store.template_metrics import (
    MAX_COUNTERS_READ,
    BucketCounts,
    Counted,
    Unit,
    apply,
    bucket_start,
    counted,
    in_window,
    increments,
)
from herald.topology import OUTBOX_COLLECTION


def _span(operation: str, collection: str) -> AbstractContextManager[trace.Span]:
    """A CLIENT span per Firestore call, in OpenTelemetry's database conventions."""
    return tracing.tracer().start_as_current_span(
        f"{operation} {collection}",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "db.system.name": "gcp.firestore",
            "db.operation.name": operation,
            "db.collection.name": collection,
        },
    )


def event_doc_id(seq: int) -> str:
    # Zero-padded so the history reads back in order by document id.
    return f"{seq:08d}"


# Beside the outbox, the events no function consumes (kept for the history only): out of
# the relay trigger's path, so writing one costs no invocation.
HISTORY_ONLY = "history"
HISTORY_COLLECTIONS = (OUTBOX_COLLECTION, HISTORY_ONLY)


def record_collection(envelope: EventEnvelope) -> str:
    return HISTORY_ONLY if spec_for(envelope.type).history_only else OUTBOX_COLLECTION


def outbox_document(envelope: EventEnvelope) -> dict[str, Any]:
    # A record kept as history only is written as published too: nothing ever publishes it.
    published = envelope.occurred_ms if spec_for(envelope.type).history_only else None
    return {**envelope.model_dump(mode="json"), "published_ms": published}


class _Paths:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def workspace(self, workspace: str) -> firestore.DocumentReference:
        ref: firestore.DocumentReference = self.client.collection("workspaces").document(workspace)
        return ref

    def message(self, workspace: str, message_id: str) -> firestore.DocumentReference:
        return self._document("workspaces", workspace, "messages", message_id)

    def summary(self, workspace: str, message_id: str) -> firestore.DocumentReference:
        return self._document("workspaces", workspace, "summaries", message_id)

    def _document(self, *path: str) -> firestore.DocumentReference:
        """By the whole path at once: each step of a chain checks the path so far again
        (a message's reference, made on every send and transition: 8.6 to 2.3 µs). An id
        is one segment, never a path of its own."""
        if any("/" in segment for segment in path):
            raise ValueError(f"a document id holds no '/': {'/'.join(path)!r}")
        ref: firestore.DocumentReference = self.client.document(*path)
        return ref


class FirestoreMessages(_Paths):
    def create_request(
        self, request: RequestRecord, messages: Sequence[tuple[MessageState, Sequence[NewEvent]]]
    ) -> None:
        with _span("commit", "messages"):
            batch = self.client.batch()
            if request_stored_apart(request, messages):
                requests = self.workspace(request.workspace).collection("requests")
                stage_create(batch, requests.document(request.id), request.model_dump())
            for message, events in messages:
                # Listed from its first transition on (see transition): the send stays lean.
                self._stage_commit(batch, message, events, create=True, listed=False)
            self._committer.commit(batch)

    @property
    def _committer(self) -> Committer:
        return committer_for(self.client)

    def _stage_commit(
        self,
        writer: Any,
        message: MessageState,
        events: Sequence[NewEvent],
        *,
        create: bool,
        summary: MessageSummary | None = None,
        listed: bool = True,
        previous: MessageState | None = None,
    ) -> list[EventEnvelope]:
        """Stages the message, its outbox records and, if ``listed``, its summary with them
        folded in (``summary`` is the one stored now) and its template's counts of what
        changed since ``previous``."""
        stored, envelopes = sequence_events(message, events)
        ref = self.message(stored.workspace, stored.id)
        # What is unset is left out (it reads back as unset): a smaller document to encode.
        document = stored.model_dump(mode="json", exclude_none=True)
        (stage_create if create else stage_set)(writer, ref, document)
        for envelope in envelopes:
            stage_create(
                writer,
                ref.collection(record_collection(envelope)).document(event_doc_id(envelope.seq)),
                outbox_document(envelope),
            )
        if not listed or not stored.listed:
            return envelopes
        if (folded := fold_events(summary, envelopes)) is not None:
            summary_ref = self.summary(stored.workspace, stored.id)
            stage_set(writer, summary_ref, folded.model_dump(mode="json"))
            self._stage_counts(writer, stored, counted(previous, stored, summary, folded))
        return envelopes

    def _stage_counts(self, writer: Any, message: MessageState, found: list[Counted]) -> None:
        """One write per counter the transition adds to (its day, channel and provider)."""
        counters = self.workspace(message.workspace).collection(TEMPLATE_METRICS)
        for key, added in increments(message.template or "", message.id, found).items():
            fields = key.identity()
            apply(fields, added, lambda _, n: firestore.Increment(n))
            writer.set(counters.document(key.document_id()), fields, merge=True)

    def get_request(self, workspace: str, request_id: str) -> RequestRecord | None:
        with _span("get_all", "requests"):
            # The record, or the message of a request of one (stored without a record).
            record = self.workspace(workspace).collection("requests").document(request_id)
            message = self.message(workspace, request_id)
            found = {snap.reference.path: snap for snap in self.client.get_all([record, message])}
        if found[record.path].exists:
            return RequestRecord.model_validate(found[record.path].to_dict())
        if found[message.path].exists:
            return request_of_one(MessageState.model_validate(found[message.path].to_dict()))
        return None

    def get_message(self, workspace: str, message_id: str) -> MessageState | None:
        with _span("get", "messages"):
            snap = self.message(workspace, message_id).get()
            return MessageState.model_validate(snap.to_dict()) if snap.exists else None

    def get_messages(self, workspace: str, message_ids: Sequence[str]) -> list[MessageState]:
        with _span("get_all", "messages"):
            refs = [self.message(workspace, mid) for mid in message_ids]
            found = {
                snap.id: MessageState.model_validate(snap.to_dict())
                for snap in self.client.get_all(refs)
                if snap.exists
            }
        return [found[mid] for mid in message_ids if mid in found]

    def history(self, workspace: str, message_id: str) -> list[EventEnvelope]:
        """The outbox's records and those kept as history only, in the message's order."""
        message = self.message(workspace, message_id)
        found: list[EventEnvelope] = []
        for collection in HISTORY_COLLECTIONS:
            with _span("query", collection):
                docs = message.collection(collection).order_by("seq").stream()
                found.extend(EventEnvelope.model_validate(doc.to_dict()) for doc in docs)
        return sorted(found, key=lambda envelope: envelope.seq)

    def transition(
        self, workspace: str, message_id: str, consumer: str, event_id: str, decide: Decide
    ) -> list[EventEnvelope] | None:
        ref = self.message(workspace, message_id)
        receipt_ref = ref.collection("receipts").document(receipt_id(consumer, event_id))
        summary_ref = self.summary(workspace, message_id)

        def apply(transaction: firestore.Transaction) -> list[EventEnvelope] | None:
            # One read of them all: the receipt, the message and its summary. Its events
            # only when there is no summary yet (a single send's first transition): a list
            # send's messages are created with theirs, and every message has one after.
            refs = [receipt_ref, ref, summary_ref]
            snaps = {snap.reference.path: snap for snap in read_in(transaction, refs)}
            receipt, snap, stored = (snaps[r.path] for r in refs)
            if receipt.exists or not snap.exists:
                return None
            current = MessageState.model_validate(snap.to_dict())
            change = decide(current)
            if change is None:
                return None
            summary: MessageSummary | None = None
            if stored.exists:
                summary = MessageSummary.model_validate(stored.to_dict())
            elif not current.listed:
                pass  # a list send's own record is not listed
            else:  # its first transition: what it was created with comes first
                summary = fold_events(None, self._created(transaction, current))
            envelopes = self._stage_commit(
                transaction,
                change.message,
                change.events,
                create=False,
                summary=summary,
                previous=current,
            )
            for child, events in change.children:
                self._stage_commit(transaction, child, events, create=True)
            at = now_ms()
            transaction.create(
                receipt_ref,
                {
                    "consumer": consumer,
                    "event_id": event_id,
                    "applied_ms": at,
                    # TTL policy field: receipts only guard against duplicates.
                    "expires_at": datetime.datetime.fromtimestamp(
                        (at + RECEIPT_TTL_MS) / 1000, tz=datetime.UTC
                    ),
                },
            )
            return envelopes

        with _span("transaction", "messages"):
            return run_transaction(self.client, apply)

    def _created(self, transaction: Any, message: MessageState) -> list[EventEnvelope]:
        """The events a message has so far (those it was created with), read in the
        transaction, each document once."""
        # A message is created with an event something consumes (message.enqueued,
        # automation.invoked): in the outbox.
        events = self.message(message.workspace, message.id).collection(OUTBOX_COLLECTION)
        refs = [events.document(event_doc_id(seq)) for seq in range(1, message.seq + 1)]
        snaps = read_in(transaction, refs) if refs else []
        found = (EventEnvelope.model_validate(snap.to_dict()) for snap in snaps if snap.exists)
        return sorted(found, key=lambda envelope: envelope.seq)

    def record_ignored(self, ignored: IgnoredEvent) -> None:
        with _span("set", "ignored"):
            self.message(ignored.workspace, ignored.message_id).collection("ignored").document(
                ignored.key
            ).set(ignored.model_dump())

    def ignored(self, workspace: str, message_id: str) -> list[IgnoredEvent]:
        with _span("query", "ignored"):
            docs = self.message(workspace, message_id).collection("ignored").stream()
            return sorted(
                (IgnoredEvent.model_validate(d.to_dict()) for d in docs), key=lambda i: i.seen_ms
            )

    def mark_digest_taken(self, workspace: str, message_id: str) -> None:
        # NotFound: deleted since (its retention ran out), so nothing waits.
        with _span("update", "messages"), contextlib.suppress(exceptions.NotFound):
            self.message(workspace, message_id).update({"awaiting_digest": False})

    def mark_published(self, workspace: str, message_id: str, seq: int) -> None:
        events = self.message(workspace, message_id).collection(OUTBOX_COLLECTION)
        with _span("update", OUTBOX_COLLECTION):
            batch = self.client.batch()
            batch.update(events.document(event_doc_id(seq)), {"published_ms": now_ms()})
            self._committer.commit(batch)


class FirestoreAttempts(_Paths):
    def _ref(self, workspace: str, message_id: str, attempt_id: str) -> firestore.DocumentReference:
        attempts = self.message(workspace, message_id).collection("attempts")
        ref: firestore.DocumentReference = attempts.document(attempt_id)
        return ref

    def claim(
        self,
        workspace: str,
        message_id: str,
        attempt_id: str,
        channel: str,
        owner: str,
        lease_ms: int,
    ) -> Attempt:
        ref = self._ref(workspace, message_id, attempt_id)
        new = Attempt(id=attempt_id, channel=channel, updated_ms=now_ms())
        # The first claim, by far the most common, creates the attempt in one write, which
        # fails if it exists: as atomic as the transaction, for a third of its calls.
        first = take_lease(None, new, owner, lease_ms)
        try:
            with _span("create", "attempts"):
                ref.create(first.model_dump(mode="json"))
            return first
        except (exceptions.AlreadyExists, exceptions.Aborted):
            pass  # claimed before (or contended): the transaction decides on what it holds

        def lease(transaction: firestore.Transaction) -> Attempt:
            [snap] = read_in(transaction, [ref])
            current = Attempt.model_validate(snap.to_dict()) if snap.exists else None
            attempt = take_lease(current, new, owner, lease_ms)
            if attempt != current:
                transaction.set(ref, attempt.model_dump(mode="json"))
            return attempt

        with _span("transaction", "attempts"):
            return run_transaction(self.client, lease)

    def save(self, workspace: str, message_id: str, attempt: Attempt) -> None:
        with _span("set", "attempts"):
            batch = self.client.batch()
            batch.set(self._ref(workspace, message_id, attempt.id), attempt.model_dump(mode="json"))
            committer_for(self.client).commit(batch)

    def of_message(self, workspace: str, message_id: str) -> list[Attempt]:
        attempts = self.message(workspace, message_id).collection("attempts")
        with _span("query", "attempts"):
            found = [
                Attempt.model_validate(snap.to_dict())
                for snap in attempts.limit(MAX_ATTEMPTS_READ).stream()
            ]
        return sorted(found, key=lambda a: (a.first_try_ms or a.updated_ms, a.id))


class FirestoreSummaries(_Paths):
    def apply(
        self,
        workspace: str,
        message_id: str,
        merge: Callable[[MessageSummary | None], MessageSummary | None],
    ) -> bool:
        ref = self.workspace(workspace).collection("summaries").document(message_id)

        def apply(transaction: firestore.Transaction) -> bool:
            [snap] = read_in(transaction, [ref])
            current = MessageSummary.model_validate(snap.to_dict()) if snap.exists else None
            merged = merge(current)
            if merged is None:
                return False
            transaction.set(ref, merged.model_dump(mode="json"))
            return True

        with _span("transaction", "summaries"):
            return run_transaction(self.client, apply)

    def query(self, workspace: str, query: SummaryQuery) -> Any:
        """The Firestore query of a list; every shape it takes has its index in indexes.py."""
        found: Any = self.workspace(workspace).collection("summaries")
        for field, wanted in query.filters().items():
            if field == "tags":
                op = "array_contains_any" if len(wanted) > 1 else "array_contains"
                value: Any = list(wanted) if len(wanted) > 1 else wanted[0]
            elif isinstance(wanted, tuple):
                op, value = ("in", list(wanted)) if len(wanted) > 1 else ("==", wanted[0])
            else:
                op, value = "==", wanted
            found = found.where(filter=FieldFilter(field, op, value))
        if query.enqueued_after_ms is not None:
            found = found.where(filter=FieldFilter("enqueued_ms", ">", query.enqueued_after_ms))
        if query.enqueued_before_ms is not None:
            found = found.where(filter=FieldFilter("enqueued_ms", "<", query.enqueued_before_ms))
        found = found.order_by("enqueued_ms", direction=firestore.Query.DESCENDING).order_by(
            FieldPath.document_id(), direction=firestore.Query.DESCENDING
        )
        if query.after is not None:
            found = found.start_after(
                {"enqueued_ms": query.after.enqueued_ms, "__name__": query.after.message_id}
            )
        return found.limit(query.limit)

    def list(self, workspace: str, query: SummaryQuery) -> list[MessageSummary]:
        with _span("query", "summaries"):
            return [
                MessageSummary.model_validate(doc.to_dict())
                for doc in self.query(workspace, query).stream()
            ]


TEMPLATE_METRICS = "template_metrics"


class FirestoreTemplateMetrics(_Paths):
    def __init__(self, client: firestore.Client, most: int = MAX_COUNTERS_READ) -> None:
        super().__init__(client)
        self.most = most

    def counts(
        self, workspace: str, template: str, unit: Unit, start_ms: int, end_ms: int
    ) -> list[BucketCounts]:
        query = (
            self.workspace(workspace)
            .collection(TEMPLATE_METRICS)
            .where(filter=FieldFilter("template", "==", template))
            .where(filter=FieldFilter("day_ms", ">=", bucket_start("day", start_ms)))
            .where(filter=FieldFilter("day_ms", "<", end_ms))
            .limit(self.most + 1)  # one past the bound tells a window that has more
        )
        with _span("query", TEMPLATE_METRICS):
            counters = [snap.to_dict() or {} for snap in query.stream()]
        return in_window(unit, counters, start_ms, end_ms, self.most)


class FirestoreKeys:
    """``api_keys/{sha256 of key}``: the key's hash is the id, so a request costs one get."""

    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def workspace_for(self, key_hash: str) -> str | None:
        with _span("get", "api_keys"):
            snap = self.client.collection("api_keys").document(key_hash).get()
        if not snap.exists:
            return None
        data = snap.to_dict() or {}
        if data.get("revoked_ms") is not None:
            return None
        workspace = data.get("workspace")
        return str(workspace) if workspace else None

    def put(self, key_hash: str, workspace: str, hint: str = "") -> ApiKeyRecord:
        record = ApiKeyRecord(
            key_hash=key_hash, workspace=workspace, created_ms=now_ms(), hint=hint
        )
        document = {**record.model_dump(exclude={"key_hash"}), "key_id": record.key_id}
        self.client.collection("api_keys").document(key_hash).set(document)
        return record

    def _record(self, snap: Any) -> ApiKeyRecord:
        data = snap.to_dict() or {}
        return ApiKeyRecord(
            key_hash=snap.id,
            workspace=str(data.get("workspace", "")),
            created_ms=int(data.get("created_ms") or 0),
            hint=str(data.get("hint") or ""),
            revoked_ms=data.get("revoked_ms"),
        )

    def list(self, workspace: str | None = None) -> list[ApiKeyRecord]:
        # An operator's command over a small collection: no index beyond the automatic ones.
        keys: Any = self.client.collection("api_keys")
        if workspace is not None:
            keys = keys.where(filter=FieldFilter("workspace", "==", workspace))
        records = [self._record(snap) for snap in keys.stream()]
        return sorted(records, key=lambda r: (r.created_ms, r.key_hash))

    def revoke(self, key_id: str) -> ApiKeyRecord | None:
        matches = list(
            self.client.collection("api_keys")
            .where(filter=FieldFilter("key_id", "==", key_id))
            .limit(2)
            .stream()
        )
        if len(matches) != 1:
            return None  # none, or (at 48 bits, hardly ever) ambiguous: nothing revoked
        record = self._record(matches[0])
        if record.revoked_ms is None:
            record.revoked_ms = now_ms()
            matches[0].reference.update({"revoked_ms": record.revoked_ms})
        return record


class FirestoreSweep:
    """Collection-group scans across every workspace (indexes in store/indexes.py)."""

    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def unpublished_events(self, older_than_ms: int, limit: int) -> list[EventEnvelope]:
        with _span("query", OUTBOX_COLLECTION):
            query = (
                self.client.collection_group(OUTBOX_COLLECTION)
                .where(filter=FieldFilter("published_ms", "==", None))
                .where(filter=FieldFilter("occurred_ms", "<", older_than_ms))
                .limit(limit)
            )
            return [EventEnvelope.model_validate(doc.to_dict()) for doc in query.stream()]

    def stuck_messages(
        self, statuses: Sequence[str], older_than_ms: int, limit: int
    ) -> list[MessageState]:
        return self._messages_before(
            FieldFilter("status", "in", list(statuses)), older_than_ms, limit
        )

    def untaken_digest_items(self, older_than_ms: int, limit: int) -> list[MessageState]:
        return self._messages_before(
            FieldFilter("awaiting_digest", "==", True), older_than_ms, limit
        )

    def _messages_before(
        self, wanted: FieldFilter, older_than_ms: int, limit: int
    ) -> list[MessageState]:
        """Messages ``wanted`` keeps whose last transition is older than ``older_than_ms``,
        across workspaces (each filter's composite index: ``store.indexes``)."""
        with _span("query", "messages"):
            query = (
                self.client.collection_group("messages")
                .where(filter=wanted)
                .where(filter=FieldFilter("updated_ms", "<", older_than_ms))
                .limit(limit)
            )
            return [MessageState.model_validate(doc.to_dict()) for doc in query.stream()]


class FirestoreWorkspaces(_Paths):
    """A workspace's settings live on its own document, beside its collections.

    Every delivery reads them, so an instance may keep them ``cache_s`` seconds:
    a change then reaches every instance within that time.
    """

    def __init__(self, client: firestore.Client, cache_s: float = 0.0) -> None:
        super().__init__(client)
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, WorkspaceSettings]] = {}

    def settings(self, workspace: str) -> WorkspaceSettings:
        cached = self._cache.get(workspace)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1].model_copy(deep=True)
        with _span("get", "workspaces"):
            snap = self.workspace(workspace).get()
        data = (snap.to_dict() or {}).get("settings") if snap.exists else None
        settings = WorkspaceSettings.model_validate(data or {})
        if self.cache_s > 0:
            self._cache[workspace] = (time.monotonic() + self.cache_s, settings)
        return settings.model_copy(deep=True)

    def save_settings(self, workspace: str, settings: WorkspaceSettings) -> None:
        with _span("set", "workspaces"):
            self.workspace(workspace).set({"settings": settings.model_dump()}, merge=True)
        self._cache.pop(workspace, None)


class FirestoreTimers(_Paths):
    """``workspaces/{ws}/messages/{id}/timers/{key}``, found by a collection-group query."""

    def _ref(self, entry: ScheduledEvent) -> firestore.DocumentReference:
        timers = self.message(entry.workspace, entry.message_id).collection("timers")
        ref: firestore.DocumentReference = timers.document(entry.key)
        return ref

    def schedule(self, entry: ScheduledEvent) -> None:
        with _span("set", "timers"):
            self._ref(entry).set(entry.model_dump(mode="json"))

    def due(self, now_ms: int, limit: int) -> list[ScheduledEvent]:
        with _span("query", "timers"):
            query = (
                self.client.collection_group("timers")
                .where(filter=FieldFilter("due_ms", "<=", now_ms))
                .order_by("due_ms")
                .limit(limit)
            )
            return [ScheduledEvent.model_validate(doc.to_dict()) for doc in query.stream()]

    def remove(self, entry: ScheduledEvent) -> None:
        with _span("delete", "timers"):
            self._ref(entry).delete()

    def pending(self, workspace: str, message_id: str) -> bool:
        with _span("query", "timers"):
            timers = self.message(workspace, message_id).collection("timers")
            return any(True for _ in timers.limit(1).stream())
