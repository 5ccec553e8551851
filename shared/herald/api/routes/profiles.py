"""Courier's profiles API: /profiles/{user_id}."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.resources.profiles import MAX_PROFILE_BODY, ProfileService

router = Router()


def _profiles(ctx: Context) -> ProfileService:
    return ProfileService(ctx.services.documents)


@router.route("GET", "/profiles/{user_id}")
def get_profile(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _profiles(ctx).get(ctx.workspace, ctx.params["user_id"]))


@router.route("POST", "/profiles/{user_id}", max_body=MAX_PROFILE_BODY)
def merge_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).merge(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(200, {"status": "SUCCESS"})


@router.route("PUT", "/profiles/{user_id}", max_body=MAX_PROFILE_BODY)
def replace_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).replace(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(200, {"status": "SUCCESS"})


@router.route("DELETE", "/profiles/{user_id}")
def delete_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).delete(ctx.workspace, ctx.params["user_id"])
    return HttpResponse(204, None)
