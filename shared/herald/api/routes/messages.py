"""Reading messages back: a message, its history, a request's messages, the list."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.domain.status import MessageStatus
from herald.errors import ValidationFailed

router = Router()


@router.route("GET", "/messages/{message_id}")
def get_message(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.reader.message(ctx.workspace, ctx.params["message_id"]))


@router.route("GET", "/messages/{message_id}/history")
def get_history(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.reader.history(ctx.workspace, ctx.params["message_id"]))


@router.route("GET", "/requests/{request_id}")
def get_request(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.reader.request(ctx.workspace, ctx.params["request_id"]))


@router.route("GET", "/messages")
def list_messages(ctx: Context) -> HttpResponse:
    raw_limit = ctx.request.query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise ValidationFailed.of("limit", "must be a whole number from 1 to 100")
    status = ctx.request.query.get("status")
    if status is not None and status not in MessageStatus.__members__:
        raise ValidationFailed.of("status", f"must be one of {', '.join(MessageStatus)}")
    return HttpResponse(
        200,
        ctx.services.reader.list(
            ctx.workspace,
            request_id=ctx.request.query.get("requestId"),
            status=status,
            limit=int(raw_limit),
            trace_id=ctx.request.query.get("traceId"),
        ),
    )
