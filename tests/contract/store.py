"""Behaviour every repository backend must have; run against each backend."""

from __future__ import annotations

import uuid

import pytest

from herald.domain.message import MessageState, RequestRecord
from herald.domain.status import MessageStatus
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageEnqueued, MessageRouted
from herald.store.base import (
    AttemptBusy,
    AttemptRepository,
    AttemptState,
    MessageRepository,
    MessageSummary,
    SummaryRepository,
    Transition,
)


def new_message(workspace: str) -> MessageState:
    return MessageState(
        id=uuid.uuid4().hex,
        workspace=workspace,
        request_id=uuid.uuid4().hex,
        recipient={"email": "a@example.com", "data": {"odd.key": {"x": [1, 2]}}},
        content={"title": "t", "body": "b"},
        enqueued_ms=1,
    )


def create(messages: MessageRepository, message: MessageState) -> None:
    messages.create_request(
        RequestRecord(
            id=message.request_id,
            workspace=message.workspace,
            message_ids=[message.id],
            received_ms=1,
        ),
        [(message, [NewEvent("message.enqueued", MessageEnqueued(recipient="a@example.com"))])],
    )


def route(message: MessageState) -> Transition | None:
    if message.status != MessageStatus.ENQUEUED:
        return None
    return Transition(
        message.model_copy(update={"status": MessageStatus.ROUTED}),
        [NewEvent("message.routed", MessageRouted(method="single", channels=["email"]))],
    )


class MessageRepositoryContract:
    def test_a_created_message_reads_back_with_its_first_event(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        stored = messages.get_message(workspace, message.id)
        assert stored is not None
        assert stored.seq == 1 and stored.recipient == message.recipient
        [event] = messages.history(workspace, message.id)
        assert (event.type, event.seq, event.id) == (
            "message.enqueued",
            1,
            f"{workspace}:{message.id}:1",
        )
        request = messages.get_request(workspace, message.request_id)
        assert request is not None and request.message_ids == [message.id]

    def test_messages_are_read_together_in_the_order_asked(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        first, second = new_message(workspace), new_message(workspace)
        create(messages, first)
        create(messages, second)
        found = messages.get_messages(workspace, [second.id, "missing", first.id])
        assert [m.id for m in found] == [second.id, first.id]
        assert messages.get_messages(workspace + "-other", [first.id]) == []

    def test_a_transition_appends_numbered_events_once_per_event_id(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        applied = messages.transition(workspace, message.id, "render", "e1", route)
        assert applied is not None and [e.seq for e in applied] == [2]
        assert messages.transition(workspace, message.id, "render", "e1", route) is None
        stored = messages.get_message(workspace, message.id)
        assert stored is not None and (stored.status, stored.seq) == (MessageStatus.ROUTED, 2)
        assert [e.seq for e in messages.history(workspace, message.id)] == [1, 2]

    def test_a_decision_of_nothing_writes_nothing(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        assert messages.transition(workspace, message.id, "x", "e1", lambda m: None) is None
        # No receipt was left behind: the same event may still apply later.
        assert messages.transition(workspace, message.id, "x", "e1", route) is not None

    def test_unknown_messages_and_other_workspaces_read_as_absent(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        assert messages.get_message(workspace + "-other", message.id) is None
        assert messages.get_message(workspace, "missing") is None
        assert messages.transition(workspace, "missing", "x", "e", route) is None


class AttemptRepositoryContract:
    def test_claim_creates_leases_and_counts_a_try(
        self, attempts: AttemptRepository, workspace: str
    ) -> None:
        first = attempts.claim(workspace, "m1", "email-1", "email", "run-a", 60_000)
        assert (first.state, first.tries, first.lease_owner) == (AttemptState.PREPARED, 1, "run-a")
        first.state = AttemptState.DISPATCHING
        attempts.save(workspace, "m1", first)
        again = attempts.claim(workspace, "m1", "email-1", "email", "run-a", 60_000)
        assert (again.state, again.tries) == (AttemptState.DISPATCHING, 2)

    def test_a_live_lease_of_another_delivery_refuses_the_claim(
        self, attempts: AttemptRepository, workspace: str
    ) -> None:
        attempts.claim(workspace, "m1", "email-1", "email", "run-a", 60_000)
        with pytest.raises(AttemptBusy):
            attempts.claim(workspace, "m1", "email-1", "email", "run-b", 60_000)

    def test_an_expired_or_released_lease_can_be_taken(
        self, attempts: AttemptRepository, workspace: str
    ) -> None:
        attempts.claim(workspace, "m1", "email-1", "email", "run-a", 0)  # expires at once
        taken = attempts.claim(workspace, "m1", "email-1", "email", "run-b", 60_000)
        assert (taken.lease_owner, taken.tries) == ("run-b", 2)
        taken.release()
        attempts.save(workspace, "m1", taken)
        assert attempts.claim(workspace, "m1", "email-1", "email", "run-c", 60_000).tries == 3

    def test_a_done_attempt_is_returned_untouched(
        self, attempts: AttemptRepository, workspace: str
    ) -> None:
        attempt = attempts.claim(workspace, "m1", "email-1", "email", "run-a", 60_000)
        attempt.state = AttemptState.DONE
        attempts.save(workspace, "m1", attempt)
        again = attempts.claim(workspace, "m1", "email-1", "email", "run-b", 60_000)
        assert (again.state, again.tries, again.lease_owner) == (AttemptState.DONE, 1, "run-a")


class SummaryRepositoryContract:
    def test_apply_stores_the_merge_and_list_filters(
        self, summaries: SummaryRepository, workspace: str
    ) -> None:
        def summary(mid: str, request: str, status: MessageStatus, at: int) -> MessageSummary:
            return MessageSummary(
                id=mid,
                workspace=workspace,
                request_id=request,
                status=status,
                recipient="r",
                seq=1,
                last_event="message.enqueued",
                enqueued_ms=at,
                updated_ms=at,
            )

        assert summaries.apply(
            workspace, "m1", lambda cur: summary("m1", "r1", MessageStatus.SENT, 1)
        )
        assert summaries.apply(
            workspace, "m2", lambda cur: summary("m2", "r1", MessageStatus.ENQUEUED, 2)
        )
        assert summaries.apply(
            workspace, "m3", lambda cur: summary("m3", "r2", MessageStatus.SENT, 3)
        )
        assert not summaries.apply(workspace, "m1", lambda cur: None)
        assert [s.id for s in summaries.list(workspace, request_id="r1")] == ["m2", "m1"]
        assert [s.id for s in summaries.list(workspace, status="SENT")] == ["m3", "m1"]
        assert [s.id for s in summaries.list(workspace, limit=1)] == ["m3"]
        assert summaries.list(workspace + "-other") == []
        tagged = summary("m4", "r3", MessageStatus.SENT, 4).model_copy(update={"trace_id": "t-1"})
        assert summaries.apply(workspace, "m4", lambda cur: tagged)
        assert [s.id for s in summaries.list(workspace, trace_id="t-1")] == ["m4"]
