"""Courier's digest schedules API: a schedule's digests and releasing them now."""

from __future__ import annotations

from herald.api import models_digests as g
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query

router = Router()
TAG = "Digests"


@router.get(
    "/digests/schedules/{schedule_id}/instances",
    summary="List a digest schedule's instances",
    tag=TAG,
    description=(
        "One per user on the schedule: the open window's count of collected sends;"
        " `404` for a schedule no topic has."
    ),
    answers=(Answer(200, g.DigestInstancePage, "a page of the schedule's digests"),),
    query=(
        Query("cursor", "the cursor of the previous page"),
        Query("limit", "digests per page, 1 to 100 (20 if not given)"),
    ),
)
def list_instances(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        ctx.services.digest_schedules.instances(
            ctx.workspace, ctx.params["schedule_id"], ctx.request.query
        ),
    )


@router.post(
    "/digests/schedules/{schedule_id}/trigger",
    summary="Release a digest schedule's digests now",
    tag=TAG,
    description=(
        "Releases every digest of the schedule holding items (up to 1,000 a call) as one"
        " message each, instead of waiting for the schedule; `404` for a schedule no topic has."
    ),
    answers=(NO_CONTENT,),
)
def trigger(ctx: Context) -> HttpResponse:
    ctx.services.digest.trigger_schedule(ctx.workspace, ctx.params["schedule_id"])
    return HttpResponse(204, None)
