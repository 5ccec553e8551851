"""Behaviour every repository backend must have; run against each backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from herald.clock import now_ms
from herald.domain.message import ChannelOutcome, DeliveryResult, MessageState, RequestRecord
from herald.domain.status import MessageStatus
from herald.events.envelope import NewEvent
from herald.events.payloads import (
    MessageDelivered,
    MessageEnqueued,
    MessageRendered,
    MessageRouted,
    MessageSent,
)
from herald.ids import hash_api_key
from herald.store.base import (
    AttemptBusy,
    AttemptRepository,
    AttemptState,
    KeyRepository,
    MessageRepository,
    MessageSummary,
    PageMark,
    SummaryQuery,
    SummaryRepository,
    Transition,
)
from herald.store.template_metrics import (
    DAY_MS,
    HOUR_MS,
    UNITS,
    BucketCounts,
    TemplateMetricsRepository,
    TooManyCounters,
    Unit,
    bucket_start,
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

    def test_creating_a_message_that_exists_raises_and_changes_nothing(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        # What a digest's record relies on when two first items race to create it.
        message = new_message(workspace)
        create(messages, message)
        again = message.model_copy(update={"content": {"title": "other", "body": "b"}})
        with pytest.raises(Exception):  # noqa: B017 - each backend raises its own
            messages.create_request(
                RequestRecord(
                    id=again.id, workspace=workspace, message_ids=[again.id], received_ms=1
                ),
                [(again, [])],
            )
        stored = messages.get_message(workspace, message.id)
        assert stored is not None and stored.content == message.content and stored.seq == 1
        assert len(messages.history(workspace, message.id)) == 1

    def test_a_request_of_one_message_is_read_back_from_its_message(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        message = message.model_copy(update={"id": message.request_id})  # as a send of one
        create(messages, message)
        request = messages.get_request(workspace, message.request_id)
        assert request is not None
        assert (request.id, request.message_ids, request.received_ms) == (
            message.request_id,
            [message.id],
            message.enqueued_ms,
        )
        assert messages.get_request(workspace, "missing") is None

    def test_each_transition_keeps_the_messages_summary(
        self, messages: MessageRepository, summaries: SummaryRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        assert summaries.list(workspace, SummaryQuery()) == []  # the send's commit: not yet
        messages.transition(workspace, message.id, "render", "e1", route)
        [routed] = summaries.list(workspace, SummaryQuery())
        # What the message was sent with (its enqueued event) is folded in first.
        assert (routed.id, routed.status, routed.seq, routed.recipient, routed.enqueued_ms) == (
            message.id,
            MessageStatus.ROUTED,
            2,
            "a@example.com",
            messages.history(workspace, message.id)[0].occurred_ms,
        )

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

    def test_the_history_holds_events_kept_as_history_only_in_their_order(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        # message.routed is consumed by nothing: stored apart from the outbox, read back
        # in its place between the events around it.
        message = new_message(workspace)
        create(messages, message)

        def routed_and_rendered(current: MessageState) -> Transition:
            return Transition(
                current.model_copy(update={"status": MessageStatus.ROUTED}),
                [
                    NewEvent("message.routed", MessageRouted(method="single", channels=["email"])),
                    NewEvent("message.rendered", MessageRendered(channels=["email"])),
                ],
            )

        messages.transition(workspace, message.id, "render", "e1", routed_and_rendered)
        messages.transition(
            workspace,
            message.id,
            "deliver",
            "e2",
            lambda current: Transition(
                current.model_copy(update={"status": MessageStatus.SENT}),
                [NewEvent("message.sent", MessageSent(channel="email", provider="smtp"))],
            ),
        )
        assert [(e.seq, e.type) for e in messages.history(workspace, message.id)] == [
            (1, "message.enqueued"),
            (2, "message.routed"),
            (3, "message.rendered"),
            (4, "message.sent"),
        ]

    def test_a_decision_of_nothing_writes_nothing(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        assert messages.transition(workspace, message.id, "x", "e1", lambda m: None) is None
        # No receipt was left behind: the same event may still apply later.
        assert messages.transition(workspace, message.id, "x", "e1", route) is not None

    def test_a_transition_creates_its_children_with_their_first_events_in_the_same_commit(
        self, messages: MessageRepository, workspace: str
    ) -> None:
        parent = new_message(workspace)
        create(messages, parent)
        children = [
            new_message(workspace).model_copy(update={"request_id": parent.request_id})
            for _ in range(100)  # a fan-out chunk: 300 writes beside the parent's
        ]

        def fan_out(current: MessageState) -> Transition:
            enqueued = NewEvent("message.enqueued", MessageEnqueued(recipient="a@example.com"))
            return Transition(
                current.model_copy(update={"status": MessageStatus.FANNED_OUT}),
                [NewEvent("message.routed", MessageRouted(method="single", channels=[]))],
                [(child, [enqueued]) for child in children],
            )

        assert messages.transition(workspace, parent.id, "render", "e1", fan_out) is not None
        found = messages.get_messages(workspace, [c.id for c in children])
        assert [m.id for m in found] == [c.id for c in children]
        assert all(m.seq == 1 for m in found)
        [first] = messages.history(workspace, children[0].id)
        assert first.type == "message.enqueued"
        stored = messages.get_message(workspace, parent.id)
        assert stored is not None and stored.status == MessageStatus.FANNED_OUT

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

    def test_a_messages_attempts_are_read_back_oldest_first_and_its_alone(
        self, attempts: AttemptRepository, workspace: str
    ) -> None:
        for attempt_id, first_try in (("email-smtp", 20), ("email-sendgrid", 10)):
            attempt = attempts.claim(workspace, "m1", attempt_id, "email", "run-a", 60_000)
            attempt.first_try_ms = first_try
            attempts.save(workspace, "m1", attempt)
        attempts.claim(workspace, "m2", "sms-twilio", "sms", "run-a", 60_000)
        found = attempts.of_message(workspace, "m1")
        assert [a.id for a in found] == ["email-sendgrid", "email-smtp"]
        assert attempts.of_message(workspace, "m3") == []
        assert attempts.of_message(f"{workspace}-other", "m1") == []


def summary(workspace: str, mid: str, at: int | None, **fields: object) -> MessageSummary:
    return MessageSummary(
        id=mid,
        workspace=workspace,
        request_id=str(fields.pop("request_id", "r1")),
        status=MessageStatus(str(fields.pop("status", "SENT"))),
        recipient=str(fields.pop("recipient", "a@example.com")),
        seq=1,
        last_event="message.enqueued",
        enqueued_ms=at,
        updated_ms=at or 0,
        **fields,  # type: ignore[arg-type]
    )


def store(summaries: SummaryRepository, row: MessageSummary) -> None:
    assert summaries.apply(row.workspace, row.id, lambda current: row)


def ids(found: list[MessageSummary]) -> list[str]:
    return [s.id for s in found]


class SummaryRepositoryContract:
    def test_apply_stores_the_merge_unless_it_is_none(
        self, summaries: SummaryRepository, workspace: str
    ) -> None:
        assert summaries.apply(workspace, "m1", lambda cur: summary(workspace, "m1", 1))
        assert not summaries.apply(workspace, "m1", lambda cur: None)
        assert summaries.apply(
            workspace,
            "m1",
            lambda cur: cur and cur.model_copy(update={"status": MessageStatus.DELIVERED}),
        )
        [stored] = summaries.list(workspace, SummaryQuery())
        assert (stored.id, stored.status) == ("m1", MessageStatus.DELIVERED)
        assert summaries.list(workspace + "-other", SummaryQuery()) == []

    def test_list_filters_on_each_field_newest_first(
        self, summaries: SummaryRepository, workspace: str
    ) -> None:
        rows = [
            summary(workspace, "m1", 1, request_id="r1", tags=["a", "b"], template="welcome"),
            summary(workspace, "m2", 2, request_id="r1", status="ENQUEUED", trace_id="t-1"),
            summary(workspace, "m3", 3, request_id="r2", recipient="b@example.com", tags=["b"]),
            summary(
                workspace,
                "m4",
                4,
                request_id="r3",
                status="UNDELIVERABLE",
                tags=["c"],
                template="welcome",
            ),
        ]
        for row in rows:
            store(summaries, row)

        def found(**query: Any) -> list[str]:
            return ids(summaries.list(workspace, SummaryQuery(**query)))

        assert found() == ["m4", "m3", "m2", "m1"]
        assert found(request_id="r1") == ["m2", "m1"]
        assert found(statuses=("SENT",)) == ["m3", "m1"]
        assert found(statuses=("ENQUEUED", "UNDELIVERABLE")) == ["m4", "m2"]
        assert found(recipient="b@example.com") == ["m3"]
        assert found(trace_id="t-1") == ["m2"]
        assert found(template="welcome") == ["m4", "m1"]
        assert found(tags=("b",)) == ["m3", "m1"]
        assert found(tags=("a", "c")) == ["m4", "m1"]  # any of them
        assert found(tags=("b",), statuses=("SENT", "ENQUEUED")) == ["m3", "m1"]
        assert found(request_id="r1", statuses=("SENT",)) == ["m1"]
        assert found(template="welcome", tags=("c", "zzz")) == ["m4"]
        assert found(enqueued_after_ms=2) == ["m4", "m3"]
        assert found(statuses=("SENT",), enqueued_after_ms=1) == ["m3"]
        assert found(enqueued_before_ms=3) == ["m2", "m1"]
        assert found(enqueued_after_ms=1, enqueued_before_ms=4) == ["m3", "m2"]
        assert found(statuses=("SENT",), enqueued_before_ms=3) == ["m1"]
        assert found(limit=1) == ["m4"]

    def test_pages_follow_each_other_without_gap_or_repeat_even_on_ties(
        self, summaries: SummaryRepository, workspace: str
    ) -> None:
        # Two messages enqueued in the same millisecond: the id breaks the tie.
        rows = [summary(workspace, mid, at) for mid, at in (("a", 5), ("b", 5), ("c", 7))]
        rows.append(summary(workspace, "d", 3, status="DELIVERED"))
        for row in rows:
            store(summaries, row)
        first = summaries.list(workspace, SummaryQuery(limit=2))
        assert ids(first) == ["c", "b"]
        mark = PageMark(first[-1].enqueued_ms, first[-1].id)
        assert ids(summaries.list(workspace, SummaryQuery(limit=2, after=mark))) == ["a", "d"]
        sent_only = SummaryQuery(statuses=("SENT",), after=PageMark(5, "b"))
        assert ids(summaries.list(workspace, sent_only)) == ["a"]
        assert summaries.list(workspace, SummaryQuery(after=PageMark(3, "d"))) == []


class KeyRepositoryContract:
    def test_a_key_opens_its_workspace_until_it_is_revoked(
        self, keys: KeyRepository, workspace: str
    ) -> None:
        key_hash = hash_api_key(f"hk_{workspace}")
        record = keys.put(key_hash, workspace, hint="hk_abcd")
        assert keys.workspace_for(key_hash) == workspace
        assert keys.workspace_for(hash_api_key("hk_other")) is None
        assert len(record.key_id) == 12 and record.key_id not in f"hk_{workspace}"
        [listed] = keys.list(workspace)
        assert (listed.key_id, listed.hint, listed.revoked_ms) == (record.key_id, "hk_abcd", None)
        assert listed.created_ms > 0
        revoked = keys.revoke(record.key_id)
        assert revoked is not None and revoked.revoked_ms is not None
        assert keys.workspace_for(key_hash) is None
        assert keys.list(workspace)[0].revoked_ms == revoked.revoked_ms
        assert keys.revoke("000000000000") is None

    def test_listing_is_per_workspace_or_all(self, keys: KeyRepository, workspace: str) -> None:
        mine = keys.put(hash_api_key(f"hk_1_{workspace}"), workspace)
        theirs = keys.put(hash_api_key(f"hk_2_{workspace}"), workspace + "-b")
        assert [r.key_id for r in keys.list(workspace)] == [mine.key_id]
        every = {r.key_id for r in keys.list()}
        assert {mine.key_id, theirs.key_id} <= every


def sent_through(results: list[DeliveryResult]) -> Callable[[MessageState], Transition | None]:
    """The message settled with ``results``: sent by the last, the others failed."""

    def settle(message: MessageState) -> Transition | None:
        if message.status == MessageStatus.SENT:
            return None
        last = results[-1]
        return Transition(
            message.model_copy(update={"status": MessageStatus.SENT, "results": results}),
            [NewEvent("message.sent", MessageSent(channel=last.channel, provider=last.provider))],
        )

    return settle


def delivered(message: MessageState) -> Transition | None:
    if message.status != MessageStatus.SENT:
        return None
    payload = MessageDelivered(channel="email", provider="second")
    return Transition(
        message.model_copy(update={"status": MessageStatus.DELIVERED}),
        [NewEvent("message.delivered", payload)],
    )


class TemplateMetricsContract:
    def test_each_message_counts_once_per_metric_in_each_unit_summed_over_shards(
        self,
        messages: MessageRepository,
        template_metrics: TemplateMetricsRepository,
        workspace: str,
    ) -> None:
        at = now_ms()  # the results' time; a delivery's is its event's (now too)
        failed = DeliveryResult(
            channel="email", provider="first", outcome=ChannelOutcome.FAILED, at_ms=at + 5
        )
        sent = DeliveryResult(
            channel="email", provider="second", outcome=ChannelOutcome.SENT, at_ms=at + 6
        )
        for n in range(12):  # enough to spread over several shards
            message = new_message(workspace).model_copy(update={"template": "welcome"})
            create(messages, message)
            for event_id in ("settle", "settle", "again"):  # redelivered, then another id
                messages.transition(
                    workspace, message.id, "deliver", event_id, sent_through([failed, sent])
                )
            if n < 5:
                messages.transition(workspace, message.id, "feedback", "d", delivered)
        untemplated = new_message(workspace)
        create(messages, untemplated)
        messages.transition(workspace, untemplated.id, "deliver", "s", sent_through([sent]))

        zero = dict.fromkeys(("sent", "delivered", "opened", "clicked", "undeliverable"), 0)
        expected = {
            ("email", "first"): {**zero, "errors": 12},
            ("email", "second"): {**zero, "errors": 0, "sent": 12, "delivered": 5},
        }
        start, end = at - 40 * DAY_MS, at + 40 * DAY_MS
        for unit in UNITS:
            rows = template_metrics.counts(workspace, "welcome", unit, start, end)
            assert all(row.bucket_ms == bucket_start(unit, row.bucket_ms) for row in rows)
            assert totals(rows) == expected
        assert template_metrics.counts(workspace, "welcome", "hour", end, end + DAY_MS) == []
        assert template_metrics.counts(workspace, "other", "hour", start, end) == []
        assert template_metrics.counts(workspace + "-other", "welcome", "hour", start, end) == []

    def test_an_hour_is_counted_in_its_day_and_read_back_from_it(
        self,
        messages: MessageRepository,
        template_metrics: TemplateMetricsRepository,
        workspace: str,
    ) -> None:
        midnight = bucket_start("day", now_ms())
        for at in (midnight - HOUR_MS // 2, midnight + HOUR_MS // 2, midnight + 5 * HOUR_MS + 1):
            send_templated(messages, workspace, at)
        start, end = midnight - DAY_MS, midnight + DAY_MS

        def sent(unit: Unit, start: int, end: int) -> list[tuple[int, int]]:
            found = template_metrics.counts(workspace, "welcome", unit, start, end)
            return [(row.bucket_ms, row.counts["sent"]) for row in found]

        assert sent("hour", start, end) == [
            (midnight - HOUR_MS, 1),
            (midnight, 1),
            (midnight + 5 * HOUR_MS, 1),
        ]
        assert sent("day", start, end) == [(midnight - DAY_MS, 1), (midnight, 2)]
        # A window from within a day takes that day's later hours only.
        assert sent("hour", midnight + HOUR_MS, end) == [(midnight + 5 * HOUR_MS, 1)]

    def test_a_read_takes_counters_up_to_its_bound_and_refuses_more(
        self,
        messages: MessageRepository,
        template_metrics: TemplateMetricsRepository,
        workspace: str,
    ) -> None:
        midnight = bucket_start("day", now_ms())
        for days_ago in range(4):  # four counters, a day each
            send_templated(messages, workspace, midnight - days_ago * DAY_MS)
        template_metrics.most = 3
        three = template_metrics.counts(
            workspace, "welcome", "day", midnight - 2 * DAY_MS, midnight + DAY_MS
        )
        assert [row.counts["sent"] for row in three] == [1, 1, 1]
        with pytest.raises(TooManyCounters):
            template_metrics.counts(
                workspace, "welcome", "day", midnight - 3 * DAY_MS, midnight + DAY_MS
            )


def send_templated(messages: MessageRepository, workspace: str, at: int) -> None:
    """A message of the template "welcome" sent at ``at``."""
    message = new_message(workspace).model_copy(update={"template": "welcome"})
    create(messages, message)
    sent = DeliveryResult(channel="email", provider="smtp", outcome=ChannelOutcome.SENT, at_ms=at)
    messages.transition(workspace, message.id, "deliver", "settle", sent_through([sent]))


def totals(rows: list[BucketCounts]) -> dict[tuple[str, str], dict[str, int]]:
    """The rows' counts per channel and provider, whatever their buckets."""
    found: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        pair = found.setdefault((row.channel, row.provider), dict.fromkeys(row.counts, 0))
        for metric, n in row.counts.items():
            pair[metric] += n
    return found
