"""Courier's lists API: /lists, /lists/{list_id} and its subscriptions."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.lists import (
    MAX_SUBSCRIPTIONS_BODY,
    ListBody,
    ListService,
    SubscribeUserBody,
    SubscriptionsBody,
)

router = Router()
TAG = "Lists"


def _lists(ctx: Context) -> ListService:
    return ListService(ctx.services.documents)


@router.get(
    "/lists",
    summary="List lists",
    tag=TAG,
    answers=(Answer(200, d.ListPage, "a page of lists"),),
    query=(
        Query("pattern", "dot-separated list id pattern: `*` one part, `**` any rest"),
        cursor("lists"),
    ),
)
def find_lists(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200, _lists(ctx).find(ctx.workspace, query.get("pattern"), query.get("cursor"))
    )


@router.get(
    "/lists/{list_id}",
    summary="Get a list",
    tag=TAG,
    answers=(Answer(200, d.ListView, "the list"),),
)
def get_list(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _lists(ctx).get(ctx.workspace, ctx.params["list_id"]))


@router.put(
    "/lists/{list_id}",
    summary="Create or update a list",
    tag=TAG,
    request=ListBody,
    answers=(NO_CONTENT,),
)
def put_list(ctx: Context) -> HttpResponse:
    _lists(ctx).put(ctx.workspace, ctx.params["list_id"], ctx.request.json())
    return HttpResponse(204, None)


@router.delete(
    "/lists/{list_id}", summary="Delete a list (restorable)", tag=TAG, answers=(NO_CONTENT,)
)
def delete_list(ctx: Context) -> HttpResponse:
    _lists(ctx).delete(ctx.workspace, ctx.params["list_id"])
    return HttpResponse(204, None)


@router.put(
    "/lists/{list_id}/restore", summary="Restore a deleted list", tag=TAG, answers=(NO_CONTENT,)
)
def restore_list(ctx: Context) -> HttpResponse:
    _lists(ctx).restore(ctx.workspace, ctx.params["list_id"])
    return HttpResponse(204, None)


@router.get(
    "/lists/{list_id}/subscriptions",
    summary="List a list's subscribers",
    tag=TAG,
    answers=(Answer(200, d.SubscriptionPage, "a page of subscriptions"),),
    query=(cursor("subscriptions"),),
)
def get_subscriptions(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _lists(ctx).subscriptions(
            ctx.workspace, ctx.params["list_id"], ctx.request.query.get("cursor")
        ),
    )


@router.post(
    "/lists/{list_id}/subscriptions",
    summary="Subscribe users to a list",
    tag=TAG,
    request=SubscriptionsBody,
    answers=(NO_CONTENT,),
    body_limit=MAX_SUBSCRIPTIONS_BODY,
)
def add_subscriptions(ctx: Context) -> HttpResponse:
    _lists(ctx).subscribe(ctx.workspace, ctx.params["list_id"], ctx.request.json(), replace=False)
    return HttpResponse(204, None)


@router.put(
    "/lists/{list_id}/subscriptions",
    summary="Make these users a list's only subscribers",
    tag=TAG,
    request=SubscriptionsBody,
    answers=(NO_CONTENT,),
    body_limit=MAX_SUBSCRIPTIONS_BODY,
)
def replace_subscriptions(ctx: Context) -> HttpResponse:
    _lists(ctx).subscribe(ctx.workspace, ctx.params["list_id"], ctx.request.json(), replace=True)
    return HttpResponse(204, None)


@router.put(
    "/lists/{list_id}/subscriptions/{user_id}",
    summary="Subscribe a user to a list",
    tag=TAG,
    request=SubscribeUserBody,
    request_required=False,
    answers=(NO_CONTENT,),
)
def subscribe_user(ctx: Context) -> HttpResponse:
    body = ctx.request.json() if ctx.request.body.strip() else None
    _lists(ctx).subscribe_user(ctx.workspace, ctx.params["list_id"], ctx.params["user_id"], body)
    return HttpResponse(204, None)


@router.delete(
    "/lists/{list_id}/subscriptions/{user_id}",
    summary="Unsubscribe a user from a list",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def unsubscribe_user(ctx: Context) -> HttpResponse:
    _lists(ctx).unsubscribe_user(ctx.workspace, ctx.params["list_id"], ctx.params["user_id"])
    return HttpResponse(204, None)
