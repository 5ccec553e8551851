"""Courier's user preferences API, and Herald's API for the topics they are about."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, cursor
from herald.resources.preferences import PreferenceService

router = Router()
TAG = "Preferences"


def _preferences(ctx: Context) -> PreferenceService:
    return PreferenceService(ctx.services.documents)


@router.get(
    "/users/{user_id}/preferences",
    summary="Get a user's preferences",
    tag=TAG,
    answers=(Answer(200, d.UserPreferences, "every topic, with the user's status"),),
)
def get_choices(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _preferences(ctx).all_choices(ctx.workspace, ctx.params["user_id"]))


@router.get(
    "/users/{user_id}/preferences/{topic_id}",
    summary="Get a user's preference for a topic",
    tag=TAG,
    answers=(Answer(200, d.UserTopicPreference, "the topic, with the user's status"),),
)
def get_choice(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200, _preferences(ctx).get_choice(ctx.workspace, params["user_id"], params["topic_id"])
    )


@router.put(
    "/users/{user_id}/preferences/{topic_id}",
    summary="Set a user's preference for a topic",
    tag=TAG,
    request=d.ChoiceRequest,
    answers=(Answer(200, d.Acknowledged, "stored"),),
)
def put_choice(ctx: Context) -> HttpResponse:
    params = ctx.params
    _preferences(ctx).put_choice(
        ctx.workspace, params["user_id"], params["topic_id"], ctx.request.json()
    )
    return HttpResponse(200, {"message": "success"})


@router.delete(
    "/users/{user_id}/preferences/{topic_id}",
    summary="Forget a user's preference for a topic",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def delete_choice(ctx: Context) -> HttpResponse:
    params = ctx.params
    _preferences(ctx).delete_choice(ctx.workspace, params["user_id"], params["topic_id"])
    return HttpResponse(204, None)


@router.get(
    "/preferences/topics",
    summary="List subscription topics",
    tag=TAG,
    answers=(Answer(200, d.TopicPage, "a page of topics"),),
    query=(cursor("topics"),),
)
def get_topics(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _preferences(ctx).topics(ctx.workspace, ctx.request.query.get("cursor"))
    )


@router.get(
    "/preferences/topics/{topic_id}",
    summary="Get a subscription topic",
    tag=TAG,
    answers=(Answer(200, d.TopicView, "the topic"),),
)
def get_topic(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _preferences(ctx).get_topic(ctx.workspace, ctx.params["topic_id"]))


@router.put(
    "/preferences/topics/{topic_id}",
    summary="Create or replace a subscription topic",
    tag=TAG,
    description="Herald's own API: Courier defines topics in its web app.",
    request=d.TopicRequest,
    answers=(Answer(200, d.TopicView, "the topic as stored"),),
)
def put_topic(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _preferences(ctx).put_topic(ctx.workspace, ctx.params["topic_id"], ctx.request.json())
    )


@router.delete(
    "/preferences/topics/{topic_id}",
    summary="Delete a subscription topic",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def delete_topic(ctx: Context) -> HttpResponse:
    _preferences(ctx).delete_topic(ctx.workspace, ctx.params["topic_id"])
    return HttpResponse(204, None)
