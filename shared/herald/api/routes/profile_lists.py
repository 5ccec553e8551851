"""Courier's /profiles/{user_id}/lists: the lists a user is subscribed to, from their side."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, cursor
from herald.resources.lists import ListService, UserListsBody

router = Router()
TAG = "Profiles"
SUCCESS = {"status": "SUCCESS"}


def _lists(ctx: Context) -> ListService:
    return ListService(ctx.services.documents)


@router.get(
    "/profiles/{user_id}/lists",
    summary="List a user's lists",
    tag=TAG,
    description=(
        "The live lists the user is subscribed to, by list id. A page looks at up to 100"
        " lists, so it may hold fewer results with `paging.more` still true."
    ),
    answers=(Answer(200, d.UserListPage, "a page of the user's lists"),),
    query=(cursor("lists"),),
)
def get_user_lists(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _lists(ctx).lists_of(ctx.workspace, ctx.params["user_id"], ctx.request.query.get("cursor")),
    )


@router.post(
    "/profiles/{user_id}/lists",
    summary="Subscribe a user to lists",
    tag=TAG,
    description="Each list (up to 100) is created if it does not exist.",
    request=UserListsBody,
    answers=(Answer(200, d.Succeeded, "subscribed"),),
)
def subscribe_user_to_lists(ctx: Context) -> HttpResponse:
    _lists(ctx).subscribe_to_lists(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(200, SUCCESS)


@router.delete(
    "/profiles/{user_id}/lists",
    summary="Unsubscribe a user from every list",
    tag=TAG,
    description="The profile and the user's preferences are untouched.",
    answers=(Answer(200, d.Succeeded, "unsubscribed from every list"),),
)
def unsubscribe_user_everywhere(ctx: Context) -> HttpResponse:
    _lists(ctx).unsubscribe_everywhere(ctx.workspace, ctx.params["user_id"])
    return HttpResponse(200, SUCCESS)
