"""Reading messages back (a message, its history and output, a request's messages, the
list) and canceling one, in Courier's shapes."""

from __future__ import annotations

import datetime

from herald.api.http import Context, HttpResponse, Router
from herald.api.models import ResendAccepted
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.domain.status import MessageStatus
from herald.domain.views import (
    MessageHistory,
    MessageList,
    MessageOutput,
    MessageView,
    RequestView,
)
from herald.errors import ValidationFailed
from herald.events.registry import EVENTS
from herald.resources.message_cursor import decode_cursor
from herald.store.base import SummaryQuery
from herald.store.indexes import MAX_LIST_FILTERS

router = Router()

# The list's filters: query parameter -> what it filters (Courier's names; requestId is Herald's).
LIST_FILTERS = {
    "requestId": "request_id",
    # Courier's "message_id returned from /send": the send's requestId.
    "messageId": "request_id",
    "status": "status",
    "recipient": "recipient",
    "traceId": "trace_id",
    "notification": "template",
    "event": "template",  # Courier's event id names the template sent, as notification does
    "tenant_id": "tenant_id",
    "tag": "tags",
    "tags": "tags",
}
# Courier's filters Herald cannot apply yet: refused, rather than answering an unfiltered page.
UNSUPPORTED_LIST_FILTERS = ("list", "provider")
# Firestore allows at most 30 disjunctions (status values x tags) in one query.
MAX_DISJUNCTIONS = 30
HISTORY_TYPES = frozenset(spec.history_type for spec in EVENTS)
TAG = "Messages"


@router.get(
    "/messages/{message_id}",
    summary="Get a message",
    tag=TAG,
    answers=(Answer(200, MessageView, "the message's state"),),
)
def get_message(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.reader.message(ctx.workspace, ctx.params["message_id"]))


@router.get(
    "/messages/{message_id}/history",
    summary="Get a message's history",
    tag=TAG,
    answers=(Answer(200, MessageHistory, "the message's events in order"),),
    query=(Query("type", "only events of this type", enum=tuple(sorted(HISTORY_TYPES))),),
)
def get_history(ctx: Context) -> HttpResponse:
    history_type = ctx.request.query.get("type")
    if history_type is not None and history_type not in HISTORY_TYPES:
        raise ValidationFailed.of("type", f"must be one of {', '.join(sorted(HISTORY_TYPES))}")
    return HttpResponse(
        200, ctx.services.reader.history(ctx.workspace, ctx.params["message_id"], history_type)
    )


@router.get(
    "/messages/{message_id}/output",
    summary="Get a message's rendered content",
    tag=TAG,
    answers=(Answer(200, MessageOutput, "what was rendered for each channel"),),
)
def get_output(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.reader.output(ctx.workspace, ctx.params["message_id"]))


@router.post(
    "/messages/{message_id}/cancel",
    summary="Cancel a message",
    tag=TAG,
    answers=(
        Answer(200, MessageView, "canceled"),
        Answer(409, MessageView, "too late (sent, or ended): the message, unchanged"),
    ),
)
def cancel_message(ctx: Context) -> HttpResponse:
    # As Courier: 200 with the message when it is canceled, 409 with it unchanged when
    # it was too late (a provider has it, or it has ended).
    message = ctx.services.canceling.cancel(ctx.workspace, ctx.params["message_id"])
    return HttpResponse(
        200 if message.status == MessageStatus.CANCELED else 409, MessageView.of(message).as_json()
    )


@router.post(
    "/messages/{message_id}/resend",
    summary="Resend a message",
    tag=TAG,
    description=(
        "Courier's resend: the message's content to its recipient again, now, as a new"
        " request whose id is the new message's. The original is unchanged."
    ),
    answers=(Answer(202, ResendAccepted, "accepted; the new message goes through the pipeline"),),
)
def resend_message(ctx: Context) -> HttpResponse:
    message_id = ctx.services.sending.resend(ctx.workspace, ctx.params["message_id"])
    return HttpResponse(202, ResendAccepted(message_id=message_id).as_json())


@router.get(
    "/requests/{request_id}",
    summary="Get a send request and its messages",
    tag=TAG,
    answers=(Answer(200, RequestView, "the request and each message it made"),),
)
def get_request(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.reader.request(ctx.workspace, ctx.params["request_id"]))


@router.put(
    "/requests/{request_id}/archive",
    summary="Archive a send request",
    tag=TAG,
    description=(
        "Its messages leave `GET /messages` unless `archived=true` is asked; they are kept"
        " as they are (readable, cancelable) and the request can be read by its id."
    ),
    answers=(NO_CONTENT,),
)
def archive_request(ctx: Context) -> HttpResponse:
    ctx.services.reader.archive(ctx.workspace, ctx.params["request_id"])
    return HttpResponse(204, None)


@router.get(
    "/messages",
    summary="List messages",
    tag=TAG,
    description=(
        "Courier's filters `list` and `provider` are refused (400) rather "
        "than ignored: Herald cannot apply them yet."
    ),
    answers=(Answer(200, MessageList, "a page of summaries, newest first"),),
    query=(
        Query("requestId", "messages of one send request (Herald's name)"),
        Query("messageId", "Courier's name for requestId: the id /send answered"),
        Query("status", "one or more statuses (repeat)", repeated=True, enum=tuple(MessageStatus)),
        Query("recipient", "the recipient (user id, address)"),
        Query("traceId", "metadata.trace_id given at send"),
        Query("notification", "the template sent"),
        Query("event", "Courier's other name for notification"),
        Query("tenant_id", "the tenant sent for (context.tenant_id or to.tenant_id)"),
        Query("archived", "`true`: include archived requests' messages", enum=("true", "false")),
        Query("tag", "a tag (repeat for any of several)", repeated=True),
        Query("tags", "comma-separated tags: any of them"),
        Query("enqueued_after", "ISO 8601 time with its zone, or epoch milliseconds"),
        cursor("messages"),
        Query("limit", "page size, 1 to 100 (default 50)"),
    ),
)
def list_messages(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.reader.list(
            ctx.workspace, list_query(ctx), include_archived=_include_archived(ctx)
        ),
    )


def _include_archived(ctx: Context) -> bool:
    archived = ctx.request.query.get("archived", "false")
    if archived not in ("true", "false"):
        raise ValidationFailed.of("archived", "must be true or false")
    return archived == "true"


def list_query(ctx: Context) -> SummaryQuery:
    values = ctx.request.query_values
    if unsupported := [name for name in UNSUPPORTED_LIST_FILTERS if values(name)]:
        raise ValidationFailed.of(unsupported[0], "is a Courier filter Herald does not support yet")
    raw_limit = ctx.request.query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise ValidationFailed.of("limit", "must be a whole number from 1 to 100")
    statuses = _distinct(values("status"))
    if unknown := [s for s in statuses if s not in MessageStatus.__members__]:
        raise ValidationFailed.of(
            "status", f"{unknown[0]!r} is not one of {', '.join(MessageStatus)}"
        )
    # Courier's tag repeats; its tags is a comma-separated list. Either matches any of them.
    tags = _distinct([*values("tag"), *(t for v in values("tags") for t in v.split(","))])
    if any(not tag.strip() for tag in tags):
        raise ValidationFailed.of("tag", "must not be empty")
    if len(tags) * max(len(statuses), 1) > MAX_DISJUNCTIONS:
        raise ValidationFailed.of("tag", f"tags times statuses must be at most {MAX_DISJUNCTIONS}")
    used = sorted({f for param, f in LIST_FILTERS.items() if values(param)})
    if len(used) > MAX_LIST_FILTERS:
        names = [p for p, f in LIST_FILTERS.items() if values(p)]
        raise ValidationFailed.of(
            names[-1],
            f"combine at most {MAX_LIST_FILTERS} of {', '.join(LIST_FILTERS)} (given: "
            f"{', '.join(names)})",
        )
    cursor = ctx.request.query.get("cursor")
    return SummaryQuery(
        request_id=_one_of(ctx, "requestId", "messageId"),
        statuses=tuple(statuses),
        recipient=ctx.request.query.get("recipient"),
        trace_id=ctx.request.query.get("traceId"),
        template=_one_of(ctx, "notification", "event"),
        tenant_id=ctx.request.query.get("tenant_id"),
        tags=tuple(tags),
        enqueued_after_ms=_enqueued_after(ctx.request.query.get("enqueued_after")),
        after=decode_cursor(cursor) if cursor else None,
        limit=int(raw_limit),
    )


def _one_of(ctx: Context, name: str, alias: str) -> str | None:
    """A filter Courier names two ways: either name, or both with the same value."""
    given, aliased = ctx.request.query.get(name), ctx.request.query.get(alias)
    if given is not None and aliased is not None and given != aliased:
        raise ValidationFailed.of(alias, f"filters what {name} does: give one value")
    return given if given is not None else aliased


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _enqueued_after(raw: str | None) -> int | None:
    """Courier's ``enqueued_after``: a time (ISO 8601 with its zone, or epoch milliseconds)."""
    if raw is None:
        return None
    if raw.isdigit():
        return int(raw)
    try:
        at = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailed.of(
            "enqueued_after", "must be an ISO 8601 time with its zone, or epoch milliseconds"
        )
    return int(at.timestamp() * 1000)
