"""Courier's broadcasts: one channel's message to a list or an audience, now or scheduled."""

from __future__ import annotations

from herald.api import models_notifications as n
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, Query, cursor
from herald.pipeline.broadcasting import (
    BroadcastCreate,
    BroadcastRename,
    BroadcastSchedule,
    BroadcastSend,
)
from herald.resources.notifications import ContentBody
from herald.resources.templates import MAX_TEMPLATE_BODY

router = Router()
TAG = "Broadcasts"
ONE = "/broadcasts/{broadcast_id}"


@router.post(
    "/broadcasts",
    summary="Create a broadcast",
    tag=TAG,
    description="A draft, with a private template of its own for its content.",
    request=BroadcastCreate,
    answers=(Answer(201, n.BroadcastView, "the broadcast"),),
)
def create_broadcast(ctx: Context) -> HttpResponse:
    made = ctx.services.broadcasting.create(
        ctx.workspace, api_actor(ctx.request), ctx.request.json()
    )
    return HttpResponse(201, made)


@router.get(
    "/broadcasts",
    summary="List broadcasts",
    tag=TAG,
    answers=(Answer(200, n.BroadcastPage, "a page of broadcasts, the newest first"),),
    query=(cursor("broadcasts"), Query("limit", "broadcasts a page, 1 to 100 (100)")),
)
def find_broadcasts(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200,
        ctx.services.broadcasting.find(ctx.workspace, query.get("cursor"), query.get("limit")),
    )


@router.get(ONE, summary="Get a broadcast", tag=TAG, answers=(Answer(200, n.BroadcastView, "it"),))
def get_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, ctx.services.broadcasting.get(ctx.workspace, ctx.params["broadcast_id"])
    )


@router.put(
    ONE,
    summary="Rename a broadcast",
    tag=TAG,
    request=BroadcastRename,
    answers=(Answer(200, n.BroadcastView, "the broadcast"),),
)
def rename_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.rename(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"], ctx.request.json()
        ),
    )


@router.delete(
    ONE,
    summary="Archive a broadcast",
    tag=TAG,
    description="Its schedule, if any, is canceled; it leaves the list and reads as 404.",
    answers=(Answer(200, n.BroadcastView, "the broadcast, archived"),),
)
def archive_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.archive(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"]
        ),
    )


@router.post(
    f"{ONE}/cancel",
    summary="Cancel a broadcast's schedule",
    tag=TAG,
    description="Only a scheduled broadcast; it is a draft again.",
    request_required=False,
    answers=(Answer(200, n.BroadcastView, "the broadcast, a draft"),),
)
def cancel_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.cancel(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"]
        ),
    )


@router.post(
    f"{ONE}/duplicate",
    summary="Duplicate a broadcast",
    tag=TAG,
    description='A new draft named "{name} (copy)", with a copy of its content.',
    request_required=False,
    answers=(Answer(200, n.BroadcastView, "the new broadcast"),),
)
def duplicate_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.duplicate(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"]
        ),
    )


@router.get(
    f"{ONE}/content",
    summary="Get a broadcast's content",
    tag=TAG,
    answers=(Answer(200, n.NotificationContent, "its Elemental content, with checksums"),),
    query=(Query("version", '"draft" (the default), "published", or like "v001"'),),
)
def get_broadcast_content(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.retrieve_content(
            ctx.workspace, ctx.params["broadcast_id"], ctx.request.query.get("version")
        ),
    )


@router.put(
    f"{ONE}/content",
    summary="Replace a broadcast's content",
    tag=TAG,
    description="Its template's draft, published when the broadcast is sent or scheduled.",
    request=ContentBody,
    answers=(Answer(200, n.ContentMutation, "its elements' ids and checksums"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_broadcast_content(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.put_content(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"], ctx.request.json()
        ),
    )


@router.post(
    f"{ONE}/send",
    summary="Send a broadcast now",
    tag=TAG,
    description="To every subscriber of a list or member of an audience, on its channel.",
    request=BroadcastSend,
    answers=(Answer(200, n.BroadcastView, "the broadcast, sending"),),
)
def send_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.send(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"], ctx.request.json()
        ),
    )


@router.post(
    f"{ONE}/schedule",
    summary="Schedule a broadcast",
    tag=TAG,
    description=(
        "`scheduled_to` is a wall-clock time read in `timezone` (UTC without one), "
        "at most 30 days away."
    ),
    request=BroadcastSchedule,
    answers=(Answer(200, n.BroadcastView, "the broadcast, scheduled"),),
)
def schedule_broadcast(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.broadcasting.schedule(
            ctx.workspace, api_actor(ctx.request), ctx.params["broadcast_id"], ctx.request.json()
        ),
    )
