"""Courier's digest schedules API: a schedule's digests and releasing them now."""

from __future__ import annotations

from herald.api import models_digests as g
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query
from herald.resources.digests import ReleaseDigestBody

router = Router()
TAG = "Digests"


@router.get(
    "/digests/schedules/{schedule_id}/instances",
    summary="List a digest schedule's instances",
    tag=TAG,
    description=(
        "One per user on the schedule: the open window's count of collected sends;"
        " `404` for a schedule no topic has and no user's digest was ever on."
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
        " message each, instead of waiting for the schedule; `404` for a schedule no topic"
        " has and no user's digest was ever on."
    ),
    answers=(NO_CONTENT,),
)
def trigger(ctx: Context) -> HttpResponse:
    ctx.services.digest.trigger_schedule(ctx.workspace, ctx.params["schedule_id"])
    return HttpResponse(204, None)


TOPIC_DIGEST = "/preferences/sections/{section_id}/topics/{topic_id}/digest"


@router.delete(
    TOPIC_DIGEST,
    summary="Turn off a topic's digest",
    tag=TAG,
    description=(
        "The topic stays; its digest (schedules and template) is removed, as a replace with"
        " `digest: null`. What its users' digests hold is released now, up to 1,000 digests"
        " a schedule (the rest at their schedule's time, or by the schedule's trigger), never"
        " dropped; a send collected meanwhile is sent at once. `404` for a topic not in the"
        " section."
    ),
    answers=(NO_CONTENT,),
)
def delete_digest(ctx: Context) -> HttpResponse:
    params = ctx.params
    ctx.services.digest.turn_off(ctx.workspace, params["section_id"], params["topic_id"])
    return HttpResponse(204, None)


@router.post(
    TOPIC_DIGEST + "/release",
    summary="Release a user's digest of a topic now",
    tag=TAG,
    description=(
        "Releases what the user's digest of the topic holds (on each of the topic's"
        " schedules) as one message, once, instead of waiting for its schedule; nothing"
        " held releases nothing. `tenant_id` is accepted: Herald keeps one digest per user"
        " and topic whatever the tenant. `404` for a topic not in the section."
    ),
    request=ReleaseDigestBody,
    answers=(NO_CONTENT,),
)
def release_digest(ctx: Context) -> HttpResponse:
    params = ctx.params
    ctx.services.digest.release_user(
        ctx.workspace, params["section_id"], params["topic_id"], ctx.request.json()
    )
    return HttpResponse(204, None)
