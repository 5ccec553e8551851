"""Digests: collecting sends into a user's digest and releasing each window once.

A digest is a record beside the messages (``MessageState.digest``), one per workspace,
topic, schedule and user, holding its open window. Collecting an item and releasing a
window are each one transition of that record, applied once per event id: a redelivered
``digest.item_collected`` adds nothing twice, and a release writes the window's message
(with its ``message.enqueued``) and opens the next window in the same commit, so an item
either made it into the window released or lands in the next one. A window's schedule
waits on the durable timer (``digest.release_due``), never in an instance.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from herald.clock import now_ms
from herald.domain.audience import SubscriptionTopic
from herald.domain.digest import (
    MAX_ITEM_DATA_BYTES,
    MAX_ITEMS_KEPT,
    DigestSchedule,
    DigestState,
    TopicDigest,
    next_release_ms,
    user_timezone,
)
from herald.domain.message import MessageState, RequestRecord
from herald.domain.status import MessageStatus
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import DigestItemCollected, DigestReleased, DigestReleaseDue
from herald.ids import message_id_for
from herald.observability import logs
from herald.pipeline.accepting import enqueued_event
from herald.pipeline.ignoring import note_ignored
from herald.resources.digests import (
    ReleaseDigestBody,
    check_schedule_exists,
    instance_path,
    instances_collection,
    section_topic,
)
from herald.resources.parsing import parse_body
from herald.resources.preferences import topic_path
from herald.store.base import (
    MessageRepository,
    ScheduledEvent,
    TimerRepository,
    Transition,
    WorkspaceRepository,
)
from herald.store.documents import DocumentStore
from herald.store.sizes import value_size

CONSUMER = "digest"
COLLECTED, RELEASE_DUE = "digest.item_collected", "digest.release_due"
# One trigger releases at most this many digests; the rest keep their schedule.
MAX_TRIGGERED = 1000


def digest_record_id(workspace: str, topic_id: str, schedule_id: str, user_id: str) -> str:
    return message_id_for(workspace, {"digest": [topic_id, schedule_id, user_id]})


def release_message_id(record_id: str, window: int) -> str:
    """A window's message: the same id however often its release is asked for."""
    return message_id_for(record_id, {"digest_window": window})


def _item_data(message: MessageState) -> dict[str, Any]:
    """The send's data as an item; over the bound, the item says so instead of holding it."""
    if value_size(message.data) > MAX_ITEM_DATA_BYTES:
        return {"data_omitted": f"over {MAX_ITEM_DATA_BYTES} bytes"}
    return dict(message.data)


def collect(
    record: MessageState,
    message: MessageState,
    digest: TopicDigest | None,
    schedule: DigestSchedule,
    timezone: str | None,
    at: int,
) -> Transition | None:
    """The record with ``message`` in its open window; the window's timer when it opens,
    and its release at once when the count reaches the topic's threshold."""
    state = record.digest
    if state is None:
        return None
    items, ids = list(state.items), list(state.item_message_ids)
    if message.id in ids:
        return None  # collected already (its event published again under another id)
    if len(items) < MAX_ITEMS_KEPT:
        items.append(_item_data(message))
        ids.append(message.id)
    update: dict[str, Any] = {
        "items": items,
        "item_message_ids": ids,
        "count": state.count + 1,
        "template": (digest.template_id if digest else None) or message.template,
        "recipient": message.recipient,
        "brand_id": message.brand_id,
    }
    events: list[NewEvent] = []
    if state.count == 0:
        due = next_release_ms(schedule, timezone, at)
        update |= {"opened_ms": at, "due_ms": due}
        if due is not None:
            events.append(NewEvent(RELEASE_DUE, DigestReleaseDue(window=state.window, due_ms=due)))
    grown = record.model_copy(
        update={
            "digest": state.model_copy(update=update),
            "status": MessageStatus.DELAYED,
            "content": message.content if not update["template"] else {},
        }
    )
    threshold = digest.count_threshold if digest else None
    due = update["due_ms"] if state.count == 0 else state.due_ms
    if due is None and (schedule.frequency != "count" or threshold is None):
        threshold = 1  # no schedule to wait for (the topic changed): release what came
    released = release(grown, "count", at) if threshold and state.count + 1 >= threshold else None
    if released is not None:
        return Transition(released.message, [*events, *released.events], released.children)
    return Transition(grown, events)


def release(record: MessageState, trigger: str, at: int) -> Transition | None:
    """The open window released as one message, and the next window opened; None when the
    window holds nothing (released already, or never collected into)."""
    state = record.digest
    if state is None or state.count == 0:
        return None
    message_id = release_message_id(record.id, state.window)
    message = MessageState(
        id=message_id,
        workspace=record.workspace,
        request_id=message_id,
        recipient=state.recipient,
        content=record.content,
        template=state.template,
        brand_id=state.brand_id,
        data={"digest": {"items": state.items, "count": state.count}},
        subscription_topic_id=state.topic_id,
        digest_id=record.id,
        enqueued_ms=at,
        traceparent=record.traceparent,
    )
    released = DigestReleased(
        window=state.window, count=state.count, message_id=message_id, trigger=trigger
    )
    next_window = DigestState(
        topic_id=state.topic_id,
        schedule_id=state.schedule_id,
        user_id=state.user_id,
        window=state.window + 1,
        released=state.released + 1,
        last_release_ms=at,
        last_message_id=message_id,
    )
    idle = record.model_copy(update={"digest": next_window, "status": MessageStatus.FANNED_OUT})
    logs.info("digest released", digest_id=record.id, window=state.window, count=state.count)
    return Transition(
        idle,
        [NewEvent("digest.released", released)],
        children=[(message, [enqueued_event(message)])],
    )


class DigestService:
    consumer = CONSUMER

    def __init__(
        self,
        messages: MessageRepository,
        timers: TimerRepository,
        documents: DocumentStore,
        workspaces: WorkspaceRepository | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.messages = messages
        self.timers = timers
        self.documents = documents
        self.workspaces = workspaces  # each workspace's time zone
        self.clock = clock

    def handle(self, event: EventEnvelope) -> None:
        """Raise means retry (a store failed), return means done."""
        if event.type == COLLECTED:
            self._collect(event, DigestItemCollected.model_validate(event.payload))
        elif event.type == RELEASE_DUE:
            self._due(event, DigestReleaseDue.model_validate(event.payload))

    def _collect(self, event: EventEnvelope, item: DigestItemCollected) -> None:
        workspace = event.workspace
        message = self.messages.get_message(workspace, event.message_id)
        if message is None:
            note_ignored(self.messages, self.consumer, event)
            return
        record_id = digest_record_id(workspace, item.topic_id, item.schedule_id, item.user_id)
        topic_doc, profile_doc = self.documents.get_many(
            workspace, [topic_path(item.topic_id), ("profiles", item.user_id)]
        )
        digest = SubscriptionTopic.model_validate(topic_doc).digest if topic_doc else None
        profile: dict[str, Any] = (profile_doc or {}).get("profile") or {}
        # The topic may have changed since render chose the schedule: its schedule now,
        # else (gone) the window is released at once rather than held forever.
        schedule = next(
            (s for s in (digest.schedules if digest else []) if s.schedule_id == item.schedule_id),
            DigestSchedule(schedule_id=item.schedule_id, frequency="instant"),
        )
        self._open(workspace, record_id, item, message)
        timezone = user_timezone(profile) or self._workspace_timezone(workspace)
        applied = self.messages.transition(
            workspace,
            record_id,
            self.consumer,
            event.id,
            lambda current: collect(current, message, digest, schedule, timezone, self.clock()),
        )
        if applied is None:
            note_ignored(self.messages, self.consumer, event)
        if message.awaiting_digest:
            # Taken now, or by an earlier delivery of this event: the sweeper stops looking.
            self.messages.mark_digest_taken(workspace, message.id)

    def _workspace_timezone(self, workspace: str) -> str | None:
        """The zone of a schedule and a profile that name none (after it, UTC)."""
        return self.workspaces.settings(workspace).timezone if self.workspaces else None

    def _open(
        self, workspace: str, record_id: str, item: DigestItemCollected, message: MessageState
    ) -> None:
        """The digest's record and its schedule's index entry, made on its first item."""
        if self.messages.get_message(workspace, record_id) is not None:
            return
        at = self.clock()
        record = MessageState(
            id=record_id,
            workspace=workspace,
            request_id=record_id,
            status=MessageStatus.FANNED_OUT,  # idle: no window open
            recipient={"user_id": item.user_id},
            content={},
            enqueued_ms=at,
            traceparent=message.traceparent,
            digest=DigestState(
                topic_id=item.topic_id, schedule_id=item.schedule_id, user_id=item.user_id
            ),
        )
        self.documents.put(
            workspace,
            instance_path(item.schedule_id, record_id),
            {"user_id": item.user_id, "topic_id": item.topic_id, "created_ms": at},
        )
        request = RequestRecord(
            id=record_id, workspace=workspace, message_ids=[record_id], received_ms=at
        )
        try:
            self.messages.create_request(request, [(record, [])])
        except Exception:
            # Made meanwhile by the same user's other item: that one is the record.
            if self.messages.get_message(workspace, record_id) is None:
                raise

    def _due(self, event: EventEnvelope, due: DigestReleaseDue) -> None:
        record = self.messages.get_message(event.workspace, event.message_id)
        state = record.digest if record is not None else None
        if record is None or state is None or state.window != due.window or state.count == 0:
            note_ignored(self.messages, self.consumer, event, record)
            return
        if self.clock() < due.due_ms:
            # The window is open until its schedule releases it: wait on the timer.
            self.timers.schedule(
                ScheduledEvent(
                    key=f"digest-{event.seq}",
                    workspace=event.workspace,
                    message_id=event.message_id,
                    due_ms=due.due_ms,
                    envelope=event,
                    reason="digest window",
                    created_ms=self.clock(),
                )
            )
            return
        applied = self.messages.transition(
            event.workspace,
            event.message_id,
            self.consumer,
            event.id,
            lambda current: (
                release(current, "schedule", self.clock())
                if current.digest is not None and current.digest.window == due.window
                else None
            ),
        )
        if applied is None:
            note_ignored(self.messages, self.consumer, event)

    def trigger_schedule(self, workspace: str, schedule_id: str) -> int:
        """Releases every digest of the schedule holding items now (the api's trigger);
        how many were."""
        check_schedule_exists(self.documents, workspace, schedule_id)
        return self._release_all(workspace, schedule_id)

    def _release_all(self, workspace: str, schedule_id: str) -> int:
        request_id = uuid.uuid4().hex
        released, seen, after = 0, 0, None
        while seen < MAX_TRIGGERED and (
            page := self.documents.page(
                workspace, instances_collection(schedule_id), after, min(100, MAX_TRIGGERED - seen)
            )
        ):
            for record_id, _ in page:
                released += self._trigger(workspace, record_id, request_id)
            seen += len(page)
            after = page[-1][0]
        return released

    def release_user(self, workspace: str, section_id: str, topic_id: str, body: Any) -> int:
        """Releases the user's digests of the topic holding items now (Courier's
        ``release_digest``), one per schedule of the topic; how many were."""
        release_for = parse_body(ReleaseDigestBody, body)
        topic = section_topic(self.documents, workspace, section_id, topic_id)
        schedules = topic.digest.schedules if topic.digest else []
        request_id = uuid.uuid4().hex
        return sum(
            self._trigger(
                workspace,
                digest_record_id(workspace, topic_id, s.schedule_id, release_for.user_id),
                request_id,
            )
            for s in schedules
        )

    def turn_off(self, workspace: str, section_id: str, topic_id: str) -> int:
        """Turns the topic's digest off (Courier's ``delete_digest``: ``digest: null``,
        the topic kept), then releases what its digests hold rather than dropping it;
        how many were released."""
        topic = section_topic(self.documents, workspace, section_id, topic_id)
        if topic.digest is None:
            return 0
        # Off first: a send collected meanwhile finds no schedule and is released at once.
        off = topic.model_copy(update={"digest": None})
        self.documents.put(workspace, topic_path(topic_id), off.model_dump(mode="json"))
        return sum(self._release_all(workspace, s.schedule_id) for s in topic.digest.schedules)

    def _trigger(self, workspace: str, record_id: str, request_id: str) -> bool:
        applied = self.messages.transition(
            workspace,
            record_id,
            "api",
            f"digest-trigger~{request_id}",
            lambda current: release(current, "api", self.clock()),
        )
        return applied is not None
