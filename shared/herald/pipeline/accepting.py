"""Accepting a send: validate, then store every message with its first event at once."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from pydantic import ValidationError

from herald.clock import now_ms
from herald.config import DEFAULT_MAX_MESSAGES_PER_REQUEST
from herald.domain.message import FanOut, MessageState, RequestRecord
from herald.domain.rendering import RenderFailed, merged_data, render_channel
from herald.domain.send import (
    DEFAULT_PHONE_REGION,
    PHONE_REGION_CONTEXT,
    Content,
    ElementalContent,
    SendRequest,
)
from herald.errors import FieldError, NotFound, PayloadTooLarge, ValidationFailed
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageEnqueued
from herald.ids import message_id_for, new_request_id
from herald.observability import metrics, tracing
from herald.resources.members import Members, members_of
from herald.resources.notifications import sendable_problem
from herald.resources.routing_strategies import with_routing_strategy
from herald.resources.validation import field_errors
from herald.store.base import MessageRepository, WorkspaceRepository
from herald.store.documents import Document, DocumentStore
from herald.store.sizes import MAX_STORED_BYTES, STORED_BYTES_PER_JSON_BYTE, value_size


def parse_send(body: Any, phone_region: str = DEFAULT_PHONE_REGION) -> SendRequest:
    """The send, checked; national phone numbers read as in ``phone_region``."""
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    message = body.get("message")
    to_is_list = isinstance(message, dict) and isinstance(message.get("to"), list)
    try:
        request = SendRequest.model_validate(body, context={PHONE_REGION_CONTEXT: phone_region})
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, to_is_list)) from exc
    if isinstance(request.message.content, ElementalContent):
        # Its elements, and the templates in them, are checked now: a 400, not a failure later.
        from herald.elemental import parse_elemental

        parse_elemental(request.message.content.model_dump(mode="json"), "message.content")
    return request


def enqueued_event(message: MessageState) -> NewEvent:
    return NewEvent(
        "message.enqueued",
        MessageEnqueued(
            recipient=message.recipient_label(),
            trace_id=message.trace_id,
            tags=message.tags,
            template=message.template,
            event=message.event,
            tenant_id=message.recipient.get("tenant_id") or message.tenant_id,
            fanout=message.fanout is not None,
        ),
    )


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


# Recipients with data of their own whose render is checked in the request; the
# rest are rendered by the pipeline, where content that fails ends UNDELIVERABLE.
MAX_RENDER_CHECKS = 20


def check_renders(request: SendRequest) -> None:
    """Refuses, up front, content that would render too large, once per distinct data.

    Each render is bounded in CPU time, and so is their number, so that a request
    of a thousand recipients cannot hold the api for long.
    """
    if not isinstance(request.message.content, Content):
        return  # a template or Elemental content is checked when it is rendered
    content = request.message.content.model_dump()
    checked: set[str] = set()
    for index, to in enumerate(request.message.recipients()):
        data = merged_data(request.message.data, to.model_dump())
        canonical = json.dumps(data, sort_keys=True, default=str)
        if canonical in checked:
            continue
        if len(checked) == MAX_RENDER_CHECKS:
            return
        checked.add(canonical)
        try:
            render_channel("email", content, data)
        except RenderFailed as exc:
            reason = str(exc).removeprefix("content: ")
            raise ValidationFailed.of(
                "message.content", f"{reason} (for message.to[{index}])"
            ) from exc


# More direct recipients than this are fanned out in the pipeline, like a list:
# one request writes at most this many messages, in one atomic batch.
FANOUT_THRESHOLD = 100
# What one batch or transaction may write: Firestore refuses a commit over 10 MiB.
COMMIT_BUDGET_BYTES = 8 * 1024 * 1024


def message_bytes(message: MessageState) -> int:
    """About what a message's document weighs, without a fan-out's own recipients."""
    return len(message.model_dump_json(exclude={"fanout"})) + 1024


def message_template(
    request: SendRequest, workspace: str, request_id: str, at: int
) -> MessageState:
    """What every message of the request shares; each then gets its id and recipient."""
    message = request.message
    metadata = message.metadata
    return MessageState(
        id="",
        workspace=workspace,
        request_id=request_id,
        recipient={},
        content=message.content.model_dump(mode="json") if message.content else {},
        template=message.template,
        data=message.data,
        routing=message.routing.tree() if message.routing else None,
        channel_overrides=message.channel_settings() or None,
        provider_overrides=(
            {k: v.model_dump(mode="json", exclude_none=True) for k, v in message.providers.items()}
            if message.providers
            else None
        ),
        enqueued_ms=at,
        trace_id=metadata.trace_id if metadata else None,
        tags=list(metadata.tags) if metadata else [],
        event=metadata.event if metadata else None,
        utm=metadata.utm.model_dump(exclude_none=True) if metadata and metadata.utm else None,
        brand_id=message.brand_id,
        tenant_id=message.context.tenant_id if message.context else None,
        subscription_topic_id=(
            message.preferences.subscription_topic_id if message.preferences else None
        ),
        not_before_ms=message.delay.due_ms(at) if message.delay else None,
        expires_ms=message.expiry.expires_ms(at) if message.expiry else None,
        timeout=message.timeout.model_dump(exclude_none=True) if message.timeout else None,
    )


def _units(request: SendRequest, each_bytes: int) -> list[tuple[dict[str, Any], FanOut | None]]:
    """Each message the request writes: a recipient, or a fan-out record.

    Direct recipients are written with the request when they fit one batch (at
    most 100, and within the commit budget), else fanned out like a list.
    """
    direct: list[dict[str, Any]] = []
    units: list[tuple[dict[str, Any], FanOut | None]] = []
    seen: set[str] = set()
    audiences: dict[tuple[str, str], int] = {}  # (list|tenant|audience, id) -> first named
    for index, to in enumerate(request.message.recipients()):
        stored = to.model_dump(mode="json", exclude_defaults=True, by_alias=True)
        canonical = json.dumps(stored, sort_keys=True)
        if canonical in seen:
            continue  # the same recipient twice is sent once
        seen.add(canonical)
        if to.list_id is not None:
            fanout = FanOut(list_id=to.list_id, data=to.data)
            audience = ("list", to.list_id)
        elif to.tenant_id is not None and to.user_id is None:
            fanout = FanOut(tenant_id=to.tenant_id, data=to.data)
            audience = ("tenant", to.tenant_id)
        elif to.audience_id is not None:
            fanout = FanOut(audience_id=to.audience_id, data=to.data)
            audience = ("audience", to.audience_id)
        else:
            direct.append(stored)
            continue
        if audience in audiences:
            # Each member would get a message per naming: one audience, one fan-out.
            kind, named = audience
            raise ValidationFailed.of(
                f"message.to[{index}].{kind}_id",
                f"names {kind} {named} again, with other data, as message.to"
                f"[{audiences[audience]}] did; a request sends to a {kind} once (merge the data)",
            )
        audiences[audience] = index
        units.append((stored, fanout))
    fits = len(direct) <= FANOUT_THRESHOLD and len(direct) * each_bytes <= COMMIT_BUDGET_BYTES
    if len(direct) > 1 and not fits:
        units.append(({"recipients": len(direct)}, FanOut(recipients=direct)))
    else:
        units.extend((recipient, None) for recipient in direct)
    return units


# A message's document when accepted: its content, data and recipient (a fan-out's: all
# of them), with as much again left for the rendered output the pipeline adds.
MAX_MESSAGE_STORED_BYTES = MAX_STORED_BYTES // 2


def check_stored_size(
    shared: MessageState, units: list[tuple[dict[str, Any], FanOut | None]]
) -> None:
    """413 for a message whose document Firestore would refuse (its sizes, not JSON's:
    256 KiB of JSON integers is 1 MiB stored)."""
    common_json = len(shared.model_dump_json(exclude={"recipient", "fanout"}).encode())
    if all(
        STORED_BYTES_PER_JSON_BYTE
        * (
            common_json
            + len(json.dumps(recipient, ensure_ascii=False).encode())
            + (len(fanout.model_dump_json().encode()) if fanout else 0)
        )
        <= MAX_MESSAGE_STORED_BYTES
        for recipient, fanout in units
    ):
        return  # small enough by its JSON alone: not worth counting
    common = value_size(shared.model_dump(exclude={"recipient", "fanout"}))
    for recipient, fanout in units:
        size = common + value_size(recipient) + (value_size(fanout.model_dump()) if fanout else 0)
        if size > MAX_MESSAGE_STORED_BYTES:
            raise PayloadTooLarge.of(
                "message",
                f"would be stored as {size:,} bytes with its data; a message holds at most"
                f" {MAX_MESSAGE_STORED_BYTES:,} when sent, to leave room for what is rendered",
            )


# What a resent message keeps of the original: what was sent and how, not what happened
# to it (nor its delay: a resend goes now).
RESENT_FIELDS = (
    "content",
    "template",
    "data",
    "routing",
    "channel_overrides",
    "provider_overrides",
    "trace_id",
    "tags",
    "event",
    "utm",
    "brand_id",
    "subscription_topic_id",
    "timeout",
    "tenant_id",
)


def members_of_unit(fanout: FanOut | None) -> Members | None:
    return members_of(fanout) if fanout is not None else None


class SendService:
    def __init__(
        self,
        messages: MessageRepository,
        documents: DocumentStore | None = None,
        max_messages: int = DEFAULT_MAX_MESSAGES_PER_REQUEST,
        workspaces: WorkspaceRepository | None = None,
    ) -> None:
        self.messages = messages
        # The lists, whose subscribers count towards the cap, and the templates named.
        self.documents = documents
        self.max_messages = max_messages
        self.workspaces = workspaces  # each workspace's phone region

    def check_template(self, workspace: str, template_id: str | None) -> Document | None:
        """A template that does not exist is refused now, not a message that fails later."""
        if template_id is None or self.documents is None:
            return None
        template = self.documents.get(workspace, ("templates", template_id))
        if template is None:
            raise ValidationFailed.of(
                "message.template", f"no template {template_id!r} in this workspace"
            )
        if problem := sendable_problem(template):
            raise ValidationFailed.of("message.template", f"template {template_id!r} {problem}")
        return template

    def routed(self, workspace: str, request: SendRequest) -> SendRequest:
        """The send, its template checked and its template's routing strategy applied."""
        template = self.check_template(workspace, request.message.template)
        if template is None or self.documents is None:
            return request
        return with_routing_strategy(self.documents, workspace, request, template)

    def check_audience(
        self, workspace: str, units: list[tuple[dict[str, Any], FanOut | None]]
    ) -> list[tuple[dict[str, Any], FanOut | None]]:
        """Refuses a request that would make more than ``max_messages`` messages, its lists'
        subscribers as they are now included (counted, not read, and no further than
        the cap); the units, each audience's fan-out given its share of what is left.

        An audience's members are known only by reading every profile, so they are
        not counted here: its fan-out stops at its share instead."""
        direct = sum(len(f.recipients) if f else 1 for _, f in units if members_of_unit(f) is None)
        counted = [(m, 0) for _, f in units if (m := members_of_unit(f)) is not None]
        total = direct
        if counted and self.documents is not None:
            live = self.documents.get_many(workspace, [m.parent for m, _ in counted])
            for position, ((members, _), parent) in enumerate(zip(counted, live, strict=True)):
                if not members.live(parent) or total > self.max_messages:
                    continue  # an audience that is gone ends its fan-out without a message
                size = self.documents.count(
                    workspace, members.collection, self.max_messages - total + 1
                )
                counted[position] = (members, size)
                total += size
        if total > self.max_messages:
            parts = [f"{m.label}: {n:,}" for m, n in counted if n] + [f"{direct:,} direct"]
            raise ValidationFailed.of(
                "message.to",
                f"would make more than {self.max_messages:,} messages ({', '.join(parts)});"
                f" a request makes at most {self.max_messages:,}: split the audience",
            )
        filtered = [f for _, f in units if f is not None and f.audience_id is not None]
        if not filtered:
            return units
        share = (self.max_messages - total) // len(filtered)
        return [
            (recipient, f.model_copy(update={"limit": share}) if f in filtered else f)
            for recipient, f in units
        ]

    def resend(self, workspace: str, message_id: str) -> str:
        """Courier's resend: a new request, now, of the message's content to its recipient.

        The original is left as it is; a list send's own record is not a message to
        resend (its messages are).
        """
        original = self.messages.get_message(workspace, message_id)
        if original is None:
            raise NotFound(f"no message {message_id!r}")
        if original.fanout is not None:
            raise ValidationFailed.of(
                "message_id",
                f"{message_id} is a list send's own record; resend the messages it made",
            )
        self.check_template(workspace, original.template)
        request_id = new_request_id()
        received = now_ms()
        message = MessageState(
            id=request_id,
            workspace=workspace,
            request_id=request_id,
            recipient=original.recipient,
            enqueued_ms=received,
            traceparent=tracing.current_traceparent(),
            resent_from=message_id,
            **{field: getattr(original, field) for field in RESENT_FIELDS},
        )
        self.messages.create_request(
            RequestRecord(
                id=request_id, workspace=workspace, message_ids=[request_id], received_ms=received
            ),
            [(message, [enqueued_event(message)])],
        )
        metrics.record_send(workspace, 1)
        return request_id

    def check_message(self, workspace: str, message: dict[str, Any]) -> None:
        """Refuses a message (without ``to``) as a send of it would be refused."""
        request = parse_send(
            {"message": {**message, "to": {"user_id": "x"}}}, self._region(workspace)
        )
        self.routed(workspace, request)
        check_renders(request)

    def send_bulk(
        self, workspace: str, request_id: str, job_id: str, message: dict[str, Any]
    ) -> None:
        """The fan-out that runs a bulk job, under ``request_id`` (again: nothing)."""
        if self.messages.get_message(workspace, request_id) is not None:
            return
        request = self.routed(
            workspace,
            parse_send({"message": {**message, "to": {"user_id": "x"}}}, self._region(workspace)),
        )
        received = now_ms()
        shared = message_template(request, workspace, request_id, received)
        fanout = shared.model_copy(
            update={
                "id": request_id,
                "recipient": {},
                "fanout": FanOut(bulk_job_id=job_id),
                "traceparent": tracing.current_traceparent(),
            }
        )
        self.messages.create_request(
            RequestRecord(
                id=request_id, workspace=workspace, message_ids=[request_id], received_ms=received
            ),
            [(fanout, [enqueued_event(fanout)])],
        )

    def _region(self, workspace: str) -> str:
        if self.workspaces is None:
            return DEFAULT_PHONE_REGION
        return self.workspaces.settings(workspace).phone_region

    def send(self, workspace: str, body: Any) -> str:
        region = (
            self.workspaces.settings(workspace).phone_region
            if self.workspaces is not None
            else DEFAULT_PHONE_REGION
        )
        request = self.routed(workspace, parse_send(body, region))
        check_renders(request)
        request_id = new_request_id()
        received = now_ms()
        shared = message_template(request, workspace, request_id, received)
        units = _units(request, message_bytes(shared))
        check_stored_size(shared, units)
        units = self.check_audience(workspace, units)
        request_traceparent = tracing.current_traceparent()
        staged = []
        for recipient, fanout in units:
            # As in Courier: a send to one recipient is tracked by its request id.
            message_id = request_id if len(units) == 1 else message_id_for(request_id, recipient)
            message = shared.model_copy(
                update={
                    "id": message_id,
                    "recipient": recipient if fanout is None else {},
                    "fanout": fanout,
                    "traceparent": (
                        request_traceparent
                        if message_id == request_id
                        else message_trace_root(message_id, request_id)
                    ),
                }
            )
            staged.append((message, [enqueued_event(message)]))
        self.messages.create_request(
            RequestRecord(
                id=request_id,
                workspace=workspace,
                message_ids=[message.id for message, _ in staged],
                received_ms=received,
            ),
            staged,
        )
        metrics.record_send(workspace, len(staged))
        return request_id
