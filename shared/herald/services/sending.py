"""Accepting a send: validate, then store every message with its first event at once."""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from pydantic import ValidationError

from herald.clock import now_ms
from herald.domain.message import MessageState, RequestRecord
from herald.domain.rendering import merged_data, render_channel
from herald.domain.send import SendRequest
from herald.domain.template import RenderedTooLarge
from herald.errors import FieldError, ValidationFailed
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageEnqueued
from herald.ids import message_id_for, new_request_id
from herald.observability import metrics, tracing
from herald.services.validation import field_errors
from herald.store.base import MessageRepository


def parse_send(body: Any) -> SendRequest:
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    message = body.get("message")
    to_is_list = isinstance(message, dict) and isinstance(message.get("to"), list)
    try:
        return SendRequest.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, to_is_list)) from exc


def message_trace_root(message_id: str, request_id: str) -> str | None:
    """Each message of a list send gets a trace of its own, linked to the request's."""
    request_span = trace.get_current_span().get_span_context()
    links = [trace.Link(request_span)] if request_span.is_valid else []
    with tracing.tracer().start_as_current_span(
        "herald message",
        context=otel_context.Context(),  # a new trace
        links=links,
        attributes={"herald.message_id": message_id, "herald.request_id": request_id},
    ):
        return tracing.current_traceparent()


def check_renders(request: SendRequest) -> None:
    """Refuses, up front, content that would render too large for any recipient."""
    content = request.message.content.model_dump()
    for index, to in enumerate(request.message.recipients()):
        data = merged_data(request.message.data, to.model_dump())
        try:
            render_channel("email", content, data)
        except RenderedTooLarge as exc:
            raise ValidationFailed.of("message.content", f"{exc} for message.to[{index}]") from exc


class SendService:
    def __init__(self, messages: MessageRepository) -> None:
        self.messages = messages

    def send(self, workspace: str, body: Any) -> str:
        request = parse_send(body)
        check_renders(request)
        request_id = new_request_id()
        received = now_ms()
        recipients: dict[str, dict[str, Any]] = {}
        for to in request.message.recipients():
            stored = to.model_dump(mode="json", exclude_defaults=True, by_alias=True)
            recipients.setdefault(message_id_for(request_id, stored), stored)
        if len(recipients) == 1:
            # As in Courier: a send to one recipient is tracked by its request id.
            recipients = {request_id: next(iter(recipients.values()))}

        content = request.message.content.model_dump(mode="json")
        routing = (
            request.message.routing.model_dump(mode="json") if request.message.routing else None
        )
        staged = []
        request_traceparent = tracing.current_traceparent()
        for message_id, recipient in recipients.items():
            message = MessageState(
                id=message_id,
                workspace=workspace,
                request_id=request_id,
                recipient=recipient,
                content=content,
                data=request.message.data,
                routing=routing,
                enqueued_ms=received,
                trace_id=request.message.metadata.trace_id if request.message.metadata else None,
                not_before_ms=(
                    request.message.delay.due_ms(received) if request.message.delay else None
                ),
                timeout=(
                    request.message.timeout.model_dump(exclude_none=True)
                    if request.message.timeout
                    else None
                ),
                traceparent=(
                    request_traceparent
                    if message_id == request_id
                    else message_trace_root(message_id, request_id)
                ),
            )
            enqueued = NewEvent(
                "message.enqueued",
                MessageEnqueued(
                    recipient=message.recipient_label(),
                    trace_id=message.trace_id,
                    tags=message.tags,
                    template=message.template,
                ),
            )
            staged.append((message, [enqueued]))
        self.messages.create_request(
            RequestRecord(
                id=request_id,
                workspace=workspace,
                message_ids=list(recipients),
                received_ms=received,
            ),
            staged,
        )
        metrics.record_send(workspace, len(staged))
        return request_id
