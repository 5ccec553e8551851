"""Courier's profiles API: /profiles/{user_id}."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer
from herald.resources.profiles import (
    MAX_PROFILE_BODY,
    ProfileBody,
    ProfilePatch,
    ProfileService,
)

router = Router()
TAG = "Profiles"


def _profiles(ctx: Context) -> ProfileService:
    return ProfileService(ctx.services.documents)


@router.get(
    "/profiles/{user_id}",
    summary="Get a profile",
    tag=TAG,
    answers=(Answer(200, d.ProfileView, "the stored profile"),),
)
def get_profile(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _profiles(ctx).get(ctx.workspace, ctx.params["user_id"]))


@router.post(
    "/profiles/{user_id}",
    summary="Create or merge into a profile",
    tag=TAG,
    request=ProfileBody,
    answers=(Answer(200, d.Succeeded, "merged: the given keys replace theirs, the others stay"),),
    body_limit=MAX_PROFILE_BODY,
)
def merge_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).merge(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(200, {"status": "SUCCESS"})


@router.put(
    "/profiles/{user_id}",
    summary="Replace a profile",
    tag=TAG,
    request=ProfileBody,
    answers=(Answer(200, d.Succeeded, "replaced"),),
    body_limit=MAX_PROFILE_BODY,
)
def replace_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).replace(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(200, {"status": "SUCCESS"})


@router.patch(
    "/profiles/{user_id}",
    summary="Update a profile with a JSON Patch",
    tag=TAG,
    description=(
        "RFC 6902 operations (`add`, `remove`, `replace`, `move`, `copy`, `test`) applied in"
        " order to the stored profile, all or none; `404` if there is no profile."
    ),
    request=ProfilePatch,
    answers=(NO_CONTENT,),
    body_limit=MAX_PROFILE_BODY,
)
def patch_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).patch(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(204, None)


@router.delete("/profiles/{user_id}", summary="Delete a profile", tag=TAG, answers=(NO_CONTENT,))
def delete_profile(ctx: Context) -> HttpResponse:
    _profiles(ctx).delete(ctx.workspace, ctx.params["user_id"])
    return HttpResponse(204, None)
