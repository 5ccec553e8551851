"""Courier's user preferences API, and Herald's API for the topics they are about."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.resources.preferences import PreferenceService

router = Router()


def _preferences(ctx: Context) -> PreferenceService:
    return PreferenceService(ctx.services.documents)


@router.route("GET", "/users/{user_id}/preferences")
def get_choices(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _preferences(ctx).all_choices(ctx.workspace, ctx.params["user_id"]))


@router.route("GET", "/users/{user_id}/preferences/{topic_id}")
def get_choice(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200, _preferences(ctx).get_choice(ctx.workspace, params["user_id"], params["topic_id"])
    )


@router.route("PUT", "/users/{user_id}/preferences/{topic_id}")
def put_choice(ctx: Context) -> HttpResponse:
    params = ctx.params
    _preferences(ctx).put_choice(
        ctx.workspace, params["user_id"], params["topic_id"], ctx.request.json()
    )
    return HttpResponse(200, {"message": "success"})


@router.route("DELETE", "/users/{user_id}/preferences/{topic_id}")
def delete_choice(ctx: Context) -> HttpResponse:
    params = ctx.params
    _preferences(ctx).delete_choice(ctx.workspace, params["user_id"], params["topic_id"])
    return HttpResponse(204, None)


@router.route("GET", "/preferences/topics")
def get_topics(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _preferences(ctx).topics(ctx.workspace, ctx.request.query.get("cursor"))
    )


@router.route("GET", "/preferences/topics/{topic_id}")
def get_topic(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _preferences(ctx).get_topic(ctx.workspace, ctx.params["topic_id"]))


@router.route("PUT", "/preferences/topics/{topic_id}")
def put_topic(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _preferences(ctx).put_topic(ctx.workspace, ctx.params["topic_id"], ctx.request.json())
    )


@router.route("DELETE", "/preferences/topics/{topic_id}")
def delete_topic(ctx: Context) -> HttpResponse:
    _preferences(ctx).delete_topic(ctx.workspace, ctx.params["topic_id"])
    return HttpResponse(204, None)
