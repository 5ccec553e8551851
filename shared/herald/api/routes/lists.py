"""Courier's lists API: /lists, /lists/{list_id} and its subscriptions."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.resources.lists import MAX_SUBSCRIPTIONS_BODY, ListService

router = Router()


def _lists(ctx: Context) -> ListService:
    return ListService(ctx.services.documents)


@router.route("GET", "/lists")
def find_lists(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200, _lists(ctx).find(ctx.workspace, query.get("pattern"), query.get("cursor"))
    )


@router.route("GET", "/lists/{list_id}")
def get_list(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _lists(ctx).get(ctx.workspace, ctx.params["list_id"]))


@router.route("PUT", "/lists/{list_id}")
def put_list(ctx: Context) -> HttpResponse:
    _lists(ctx).put(ctx.workspace, ctx.params["list_id"], ctx.request.json())
    return HttpResponse(204, None)


@router.route("DELETE", "/lists/{list_id}")
def delete_list(ctx: Context) -> HttpResponse:
    _lists(ctx).delete(ctx.workspace, ctx.params["list_id"])
    return HttpResponse(204, None)


@router.route("PUT", "/lists/{list_id}/restore")
def restore_list(ctx: Context) -> HttpResponse:
    _lists(ctx).restore(ctx.workspace, ctx.params["list_id"])
    return HttpResponse(204, None)


@router.route("GET", "/lists/{list_id}/subscriptions")
def get_subscriptions(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _lists(ctx).subscriptions(
            ctx.workspace, ctx.params["list_id"], ctx.request.query.get("cursor")
        ),
    )


@router.route("POST", "/lists/{list_id}/subscriptions", max_body=MAX_SUBSCRIPTIONS_BODY)
def add_subscriptions(ctx: Context) -> HttpResponse:
    _lists(ctx).subscribe(ctx.workspace, ctx.params["list_id"], ctx.request.json(), replace=False)
    return HttpResponse(204, None)


@router.route("PUT", "/lists/{list_id}/subscriptions", max_body=MAX_SUBSCRIPTIONS_BODY)
def replace_subscriptions(ctx: Context) -> HttpResponse:
    _lists(ctx).subscribe(ctx.workspace, ctx.params["list_id"], ctx.request.json(), replace=True)
    return HttpResponse(204, None)


@router.route("PUT", "/lists/{list_id}/subscriptions/{user_id}")
def subscribe_user(ctx: Context) -> HttpResponse:
    body = ctx.request.json() if ctx.request.body.strip() else None
    _lists(ctx).subscribe_user(ctx.workspace, ctx.params["list_id"], ctx.params["user_id"], body)
    return HttpResponse(204, None)


@router.route("DELETE", "/lists/{list_id}/subscriptions/{user_id}")
def unsubscribe_user(ctx: Context) -> HttpResponse:
    _lists(ctx).unsubscribe_user(ctx.workspace, ctx.params["list_id"], ctx.params["user_id"])
    return HttpResponse(204, None)
