"""The list view is written in the commits that change a message: no function runs for it.

The send's own commit leaves it out (the send path stays lean): a message is listed from
its first transition on, with what it was sent with folded in.
"""

from __future__ import annotations

from herald.domain.status import MessageStatus
from herald.resources.lists import ListService
from herald.resources.profiles import ProfileService
from herald.store.base import SummaryQuery
from tests.unit.fakes import Pipeline

WS = "ws1"
EMAIL = {"to": {"email": "ada@example.com"}, "content": {"title": "Hi", "body": "B"}}


def listed(pipeline: Pipeline, message_id: str) -> tuple[str, str | None, str] | None:
    found = [s for s in pipeline.summaries.list(WS, SummaryQuery()) if s.id == message_id]
    return (found[0].status.value, found[0].last_event, found[0].recipient) if found else None


def step(pipeline: Pipeline, consumer: str) -> None:
    """Relays the next outbox record to one consumer only."""
    event = pipeline.messages.outbox[pipeline.relayed]
    pipeline.relayed += 1
    pipeline.consumers[consumer](event)


def test_each_commit_shows_in_the_list_at_once() -> None:
    pipeline = Pipeline()
    message_id = pipeline.sending.send(WS, {"message": EMAIL})
    assert listed(pipeline, message_id) is None  # not before the pipeline takes it
    step(pipeline, "render")
    routed = ("ROUTED", "message.rendered", "ada@example.com")
    assert listed(pipeline, message_id) == routed
    pipeline.relayed += 1  # message.routed: history only, consumed by nothing
    step(pipeline, "deliver")
    assert listed(pipeline, message_id) == ("SENT", "message.sent", "ada@example.com")
    pipeline.canceling.cancel(WS, message_id)  # too late: nothing changes
    assert listed(pipeline, message_id) == ("SENT", "message.sent", "ada@example.com")


def test_a_message_canceled_before_the_pipeline_took_it_is_listed_canceled() -> None:
    pipeline = Pipeline()
    message_id = pipeline.sending.send(WS, {"message": EMAIL})
    pipeline.canceling.cancel(WS, message_id)
    assert listed(pipeline, message_id) == ("CANCELED", "message.canceled", "ada@example.com")


def test_a_list_sends_own_record_stays_out_of_the_list() -> None:
    pipeline = Pipeline()
    ProfileService(pipeline.documents).merge(WS, "ada", {"profile": {"email": "ada@example.com"}})
    ListService(pipeline.documents).subscribe_user(WS, "beta", "ada", None)
    request_id = pipeline.sending.send(WS, {"message": {**EMAIL, "to": {"list_id": "beta"}}})
    pipeline.drain()
    assert pipeline.messages.messages[(WS, request_id)].status == MessageStatus.FANNED_OUT
    [summary] = pipeline.summaries.list(WS, SummaryQuery())
    assert summary.id != request_id and summary.status == MessageStatus.SENT
