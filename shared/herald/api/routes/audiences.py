"""Courier's audiences API: /audiences and an audience's members."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, cursor
from herald.resources.audiences import MAX_AUDIENCE_BODY, AudienceBody, AudienceService

router = Router()
TAG = "Audiences"


def _audiences(ctx: Context) -> AudienceService:
    return AudienceService(ctx.services.documents)


@router.get(
    "/audiences",
    summary="List audiences",
    tag=TAG,
    answers=(Answer(200, d.AudiencePage, "a page of audiences"),),
    query=(cursor("audiences"),),
)
def find_audiences(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _audiences(ctx).find(ctx.workspace, ctx.request.query))


@router.get(
    "/audiences/{audience_id}",
    summary="Get an audience",
    tag=TAG,
    answers=(Answer(200, d.AudienceView, "the audience"),),
)
def get_audience(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _audiences(ctx).get(ctx.workspace, ctx.params["audience_id"]))


@router.put(
    "/audiences/{audience_id}",
    summary="Create or update an audience",
    tag=TAG,
    request=AudienceBody,
    answers=(Answer(200, d.AudienceUpdated, "the audience as stored"),),
    body_limit=MAX_AUDIENCE_BODY,
)
def put_audience(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _audiences(ctx).put(ctx.workspace, ctx.params["audience_id"], ctx.request.json())
    )


@router.delete(
    "/audiences/{audience_id}", summary="Delete an audience", tag=TAG, answers=(NO_CONTENT,)
)
def delete_audience(ctx: Context) -> HttpResponse:
    _audiences(ctx).delete(ctx.workspace, ctx.params["audience_id"])
    return HttpResponse(204, None)


@router.get(
    "/audiences/{audience_id}/members",
    summary="List an audience's members",
    tag=TAG,
    answers=(Answer(200, d.AudienceMemberPage, "the profiles matching the filter, a page"),),
    query=(cursor("members"),),
)
def audience_members(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _audiences(ctx).members(ctx.workspace, ctx.params["audience_id"], ctx.request.query)
    )
