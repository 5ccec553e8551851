"""Courier's device tokens API: /users/{user_id}/tokens."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer
from herald.resources.profiles import ProfilePatch
from herald.resources.tokens import MAX_TOKENS_BODY, TokenBody, TokensBody, TokenService

router = Router()
TAG = "Device tokens"


def _tokens(ctx: Context) -> TokenService:
    return TokenService(ctx.services.documents)


@router.get(
    "/users/{user_id}/tokens",
    summary="List a user's device tokens",
    tag=TAG,
    answers=(Answer(200, d.TokenList, "the user's tokens"),),
)
def find_tokens(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _tokens(ctx).find(ctx.workspace, ctx.params["user_id"]))


@router.put(
    "/users/{user_id}/tokens",
    summary="Register several device tokens",
    tag=TAG,
    request=TokensBody,
    answers=(NO_CONTENT,),
    body_limit=MAX_TOKENS_BODY,
)
def put_tokens(ctx: Context) -> HttpResponse:
    _tokens(ctx).put_many(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(204, None)


@router.get(
    "/users/{user_id}/tokens/{token}",
    summary="Get a device token",
    tag=TAG,
    answers=(Answer(200, d.TokenView, "the token and its status"),),
)
def get_token(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _tokens(ctx).get(ctx.workspace, ctx.params["user_id"], ctx.params["token"])
    )


@router.put(
    "/users/{user_id}/tokens/{token}",
    summary="Register a device token",
    tag=TAG,
    request=TokenBody,
    answers=(NO_CONTENT,),
)
def put_token(ctx: Context) -> HttpResponse:
    _tokens(ctx).put(ctx.workspace, ctx.params["user_id"], ctx.params["token"], ctx.request.json())
    return HttpResponse(204, None)


@router.patch(
    "/users/{user_id}/tokens/{token}",
    summary="Update a device token with a JSON Patch",
    tag=TAG,
    description=(
        "RFC 6902 operations applied in order to the token's fields (`provider_key`,"
        " `device`, `expiry_date`, `properties`, `tracking`), all or none, the result"
        " checked as a PUT's body; its status stays as it is. `404` if there is no token."
    ),
    request=ProfilePatch,
    answers=(NO_CONTENT,),
)
def patch_token(ctx: Context) -> HttpResponse:
    _tokens(ctx).patch(
        ctx.workspace, ctx.params["user_id"], ctx.params["token"], ctx.request.json()
    )
    return HttpResponse(204, None)


@router.delete(
    "/users/{user_id}/tokens/{token}",
    summary="Delete a device token",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def delete_token(ctx: Context) -> HttpResponse:
    _tokens(ctx).delete(ctx.workspace, ctx.params["user_id"], ctx.params["token"])
    return HttpResponse(204, None)
