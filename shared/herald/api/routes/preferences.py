"""Courier's user preferences API, and Herald's API for the topics they are about."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.errors import ValidationFailed
from herald.resources.preferences import PreferenceService, TopicBody

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


# Courier's tenant_id on the bulk calls: a tenant's own overrides, which Herald does not keep.
NO_TENANT_CONTEXT = Query("tenant_id", "refused (400): Herald keeps no per-tenant overrides")


def _refuse_tenant_context(ctx: Context) -> None:
    if ctx.request.query.get("tenant_id"):
        raise ValidationFailed.of(
            "tenant_id", "Herald keeps a user's choices per workspace, not per tenant"
        )


@router.put(
    "/users/{user_id}/preferences",
    summary="Replace all of a user's preferences",
    tag=TAG,
    description=(
        "Courier's bulk replace: these topics (up to 50) become the user's only choices;"
        " every other choice is forgotten, so its topic's default applies again. All or none."
    ),
    request=d.BulkPreferencesRequest,
    answers=(Answer(200, d.BulkPreferencesReplaced, "the choices stored and those forgotten"),),
    query=(NO_TENANT_CONTEXT,),
)
def replace_choices(ctx: Context) -> HttpResponse:
    _refuse_tenant_context(ctx)
    return HttpResponse(
        200,
        _preferences(ctx).bulk_replace(ctx.workspace, ctx.params["user_id"], ctx.request.json()),
    )


@router.post(
    "/users/{user_id}/preferences",
    summary="Set a user's preferences for several topics",
    tag=TAG,
    description=(
        "Courier's bulk update: each topic (1 to 50) is applied on its own; one that cannot"
        " be (an opt-out of a REQUIRED topic) is answered in `errors`. Other topics keep"
        " the user's earlier choice."
    ),
    request=d.BulkPreferencesRequest,
    answers=(Answer(200, d.BulkPreferencesUpdated, "the choices stored and those refused"),),
    query=(NO_TENANT_CONTEXT,),
)
def update_choices(ctx: Context) -> HttpResponse:
    _refuse_tenant_context(ctx)
    return HttpResponse(
        200, _preferences(ctx).bulk_update(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    )


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
    request=TopicBody,
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
