"""Courier's inbound track event: ``POST /inbound/courier``."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router, error_body
from herald.api.models import ErrorBody, InboundAccepted
from herald.api.operation import Answer
from herald.errors import ValidationFailed
from herald.resources.inbound_events import InboundClaims, TrackEvent, send_body
from herald.resources.parsing import parse_body

router = Router()


@router.post(
    "/inbound/courier",
    summary="Track an event",
    tag="Send",
    description=(
        "The event sends the template of its name (Courier's event or notification id) to"
        " `userId`, with `properties` as the message's data and the event as its"
        " `metadata.event`. An event that names no template is a `400`; a `messageId`"
        " the workspace has seen is a `409`, and sends nothing."
    ),
    request=TrackEvent,
    answers=(
        Answer(202, InboundAccepted, "accepted: the id of the message it sends"),
        Answer(409, ErrorBody, "an event with this messageId was taken before"),
    ),
)
def track_event(ctx: Context) -> HttpResponse:
    event = parse_body(TrackEvent, ctx.request.json())
    if ctx.services.documents.get(ctx.workspace, ("templates", event.event)) is None:
        raise ValidationFailed.of(
            "event", f"no template {event.event}: an event sends the template of its name"
        )
    claims = InboundClaims(ctx.services.documents)
    if claims.claim(ctx.workspace, event.message_id) is None:
        return HttpResponse(
            409, error_body("conflict", f"an event with messageId {event.message_id} was taken")
        )
    try:
        request_id = ctx.services.sending.send(ctx.workspace, send_body(event))
    except Exception:
        claims.release(ctx.workspace, event.message_id)
        raise
    claims.sent(ctx.workspace, event.message_id, request_id)
    return HttpResponse(202, InboundAccepted(message_id=request_id).as_json())
