"""Read views in Courier's shapes: a message, its history and output, a request, the list.

The shapes are ``herald.domain.views``' models; each method answers one's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.domain.views import (
    ChannelOutput,
    HistoryEntry,
    IgnoredDelivery,
    MessageHistory,
    MessageList,
    MessageOutput,
    MessageSummaryView,
    MessageView,
    Paging,
    RequestView,
)
from herald.errors import NotFound
from herald.events.registry import spec_for
from herald.observability import tracing
from herald.resources.message_cursor import encode_cursor
from herald.store.base import (
    Attempt,
    AttemptRepository,
    MessageRepository,
    MessageSummary,
    PageMark,
    SummaryQuery,
    SummaryRepository,
)
from herald.store.documents import DocumentStore

# Archived requests: a mark per request, ``archived_requests/{request_id}``. The list
# leaves out the messages of marked requests unless asked for them, however the
# request's messages were made (a list's fan-out makes them after the send).
ARCHIVED_REQUESTS = ("archived_requests",)
# A page of the list reads at most this many pages of summaries to fill itself past
# archived messages; a shorter page may then say there is more.
MAX_READS_PER_PAGE = 3


def summary_view(summary: MessageSummary) -> MessageSummaryView:
    """Courier's message details as the list shows them, from the log's summary."""
    return MessageSummaryView(
        id=summary.id,
        request_id=summary.request_id,
        status=summary.status,
        recipient=summary.recipient,
        enqueued=summary.enqueued_ms,
        sent=summary.sent_ms,
        delivered=summary.delivered_ms,
        opened=summary.opened_ms,
        clicked=summary.clicked_ms,
        notification=summary.template or "",
        event=summary.event or summary.template or "",
        tags=summary.tags,
        reason=summary.reason,
        error=summary.error,
        updated=summary.updated_ms,
        last_event=spec_for(summary.last_event).history_type if summary.last_event else None,
        trace_id=summary.trace_id,
    )


def _output(message: MessageState) -> dict[str, Any]:
    return MessageOutput(
        results=[
            ChannelOutput.of(channel, message.rendered[channel])
            for channel in message.channels
            if channel in message.rendered
        ]
    ).as_json()


@dataclass(frozen=True)
class MessageDetails:
    """A message's views as its page shows them, each in its API's JSON shape."""

    message: dict[str, Any]
    history: dict[str, Any]
    output: dict[str, Any]
    trace_id: str | None
    attempts: list[Attempt]


class MessageReader:
    def __init__(
        self,
        messages: MessageRepository,
        summaries: SummaryRepository,
        attempts: AttemptRepository,
        documents: DocumentStore,
    ) -> None:
        self.messages = messages
        self.summaries = summaries
        self.attempts = attempts
        self.documents = documents

    def _state(self, workspace: str, message_id: str) -> MessageState:
        message = self.messages.get_message(workspace, message_id)
        if message is None:
            raise NotFound(f"no message {message_id!r}")
        return message

    def message(self, workspace: str, message_id: str) -> dict[str, Any]:
        return MessageView.of(self._state(workspace, message_id)).as_json()

    def history(
        self, workspace: str, message_id: str, history_type: str | None = None
    ) -> dict[str, Any]:
        """The message's events in order; ``history_type`` keeps only those of that type."""
        self._state(workspace, message_id)
        return self._history(workspace, message_id, history_type)

    def _history(
        self, workspace: str, message_id: str, history_type: str | None = None
    ) -> dict[str, Any]:
        events = self.messages.history(workspace, message_id)
        return MessageHistory(
            results=[
                HistoryEntry(
                    type=spec_for(e.type).history_type,
                    ts=e.occurred_ms,
                    event_id=e.id,
                    data=e.payload,
                )
                for e in events
                if history_type in (None, spec_for(e.type).history_type)
            ],
            # Deliveries that arrived after the message had moved past them: kept, not applied.
            ignored=[
                IgnoredDelivery(
                    type=spec_for(i.event_type).history_type,
                    event_id=i.event_id,
                    consumer=i.consumer,
                    status=i.status,
                    ts=i.seen_ms,
                )
                for i in self.messages.ignored(workspace, message_id)
                if history_type in (None, spec_for(i.event_type).history_type)
            ],
        ).as_json()

    def output(self, workspace: str, message_id: str) -> dict[str, Any]:
        """What was rendered for each channel (nothing before the message is routed)."""
        return _output(self._state(workspace, message_id))

    def trace_id(self, workspace: str, message_id: str) -> str | None:
        """The id of the message's trace (its spans, in Cloud Trace or the span files)."""
        return tracing.trace_id_of(self._state(workspace, message_id).traceparent)

    def provider_attempts(self, workspace: str, message_id: str) -> list[Attempt]:
        """Each provider tried for the message: its tries, when, and what it answered."""
        self._state(workspace, message_id)
        return self.attempts.of_message(workspace, message_id)

    def details(self, workspace: str, message_id: str) -> MessageDetails:
        """Everything a message's page shows, from one read of the message."""
        state = self._state(workspace, message_id)
        return MessageDetails(
            message=MessageView.of(state).as_json(),
            history=self._history(workspace, message_id),
            output=_output(state),
            trace_id=tracing.trace_id_of(state.traceparent),
            attempts=self.attempts.of_message(workspace, message_id),
        )

    def request(self, workspace: str, request_id: str) -> dict[str, Any]:
        request = self.messages.get_request(workspace, request_id)
        if request is None:
            raise NotFound(f"no request {request_id!r}")
        messages = self.messages.get_messages(workspace, request.message_ids)
        return RequestView(
            request_id=request.id,
            received=request.received_ms,
            messages=[MessageView.of(m) for m in messages],
        ).as_json()

    def archive(self, workspace: str, request_id: str) -> None:
        """Courier's archive: the request's messages leave the default list, kept as they are."""
        if self.messages.get_request(workspace, request_id) is None:
            raise NotFound(f"no request {request_id!r}")
        self.documents.update(
            workspace,
            (*ARCHIVED_REQUESTS, request_id),
            lambda current: None if current is not None else {"archived_ms": now_ms()},
        )

    def list(
        self, workspace: str, query: SummaryQuery, *, include_archived: bool = False
    ) -> dict[str, Any]:
        """A page of summaries, newest first, in Courier's ``{paging, results}``."""
        # Most workspaces archive nothing: one count spares reading marks for each page.
        skip_archived = not include_archived and (
            self.documents.count(workspace, ARCHIVED_REQUESTS, 1) > 0
        )
        kept: list[MessageSummary] = []
        mark, more = query.after, False
        for _ in range(MAX_READS_PER_PAGE if skip_archived else 1):
            wanted = query.limit - len(kept)
            # One more than wanted: whether there is a next page, without a count.
            found = self.summaries.list(workspace, replace(query, after=mark, limit=wanted + 1))
            page, more = found[:wanted], len(found) > wanted
            if page:
                mark = PageMark(page[-1].enqueued_ms, page[-1].id)
            kept.extend(unarchived(self.documents, workspace, page) if skip_archived else page)
            if not more or len(kept) == query.limit:
                break
        return MessageList(
            paging=Paging(cursor=encode_cursor(mark) if more and mark else None, more=more),
            results=[summary_view(s) for s in kept],
        ).as_json()


def unarchived(
    documents: DocumentStore, workspace: str, page: list[MessageSummary]
) -> list[MessageSummary]:
    """The summaries of ``page`` whose request is not archived (one batched read)."""
    request_ids = sorted({summary.request_id for summary in page})
    marks = documents.get_many(
        workspace, [(*ARCHIVED_REQUESTS, request_id) for request_id in request_ids]
    )
    archived = {rid for rid, found in zip(request_ids, marks, strict=True) if found}
    return [summary for summary in page if summary.request_id not in archived]
