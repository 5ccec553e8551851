"""Courier's tenants API: /tenants, their users and default preferences, and
/users/{user_id}/tenants."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.tenants import (
    MAX_TENANT_BODY,
    DefaultPreferenceBody,
    TenantBody,
    TenantService,
    UserTenantBody,
    UserTenantsBody,
)

router = Router()
TAG = "Tenants"
LIMIT = Query("limit", "how many to return: 1 to 100, 20 if not given")


def _tenants(ctx: Context) -> TenantService:
    return TenantService(ctx.services.documents)


@router.get(
    "/tenants",
    summary="List tenants",
    tag=TAG,
    answers=(Answer(200, d.TenantPage, "a page of tenants"),),
    query=(cursor("tenants"), LIMIT, Query("parent_tenant_id", "only this tenant's children")),
)
def find_tenants(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _tenants(ctx).find(ctx.workspace, ctx.request.query))


@router.get(
    "/tenants/{tenant_id}",
    summary="Get a tenant",
    tag=TAG,
    answers=(Answer(200, d.TenantView, "the tenant"),),
)
def get_tenant(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _tenants(ctx).get(ctx.workspace, ctx.params["tenant_id"]))


@router.put(
    "/tenants/{tenant_id}",
    summary="Create or replace a tenant",
    tag=TAG,
    request=TenantBody,
    answers=(Answer(200, d.TenantView, "the tenant as stored"),),
    body_limit=MAX_TENANT_BODY,
)
def put_tenant(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _tenants(ctx).put(ctx.workspace, ctx.params["tenant_id"], ctx.request.json())
    )


@router.delete("/tenants/{tenant_id}", summary="Delete a tenant", tag=TAG, answers=(NO_CONTENT,))
def delete_tenant(ctx: Context) -> HttpResponse:
    _tenants(ctx).delete(ctx.workspace, ctx.params["tenant_id"])
    return HttpResponse(204, None)


@router.get(
    "/tenants/{tenant_id}/users",
    summary="List a tenant's users",
    tag=TAG,
    answers=(Answer(200, d.TenantAssociationPage, "a page of the tenant's users"),),
    query=(cursor("users"), LIMIT),
)
def tenant_users(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _tenants(ctx).users(ctx.workspace, ctx.params["tenant_id"], ctx.request.query)
    )


@router.put(
    "/tenants/{tenant_id}/default_preferences/items/{topic_id}",
    summary="Set a tenant's default for a topic",
    tag=TAG,
    request=DefaultPreferenceBody,
    answers=(NO_CONTENT,),
)
def put_default_preference(ctx: Context) -> HttpResponse:
    _tenants(ctx).put_default(
        ctx.workspace, ctx.params["tenant_id"], ctx.params["topic_id"], ctx.request.json()
    )
    return HttpResponse(204, None)


@router.delete(
    "/tenants/{tenant_id}/default_preferences/items/{topic_id}",
    summary="Remove a tenant's default for a topic",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def delete_default_preference(ctx: Context) -> HttpResponse:
    _tenants(ctx).delete_default(ctx.workspace, ctx.params["tenant_id"], ctx.params["topic_id"])
    return HttpResponse(204, None)


@router.get(
    "/users/{user_id}/tenants",
    summary="List a user's tenants",
    tag=TAG,
    answers=(Answer(200, d.TenantAssociationPage, "a page of the user's tenants"),),
    query=(cursor("tenants"), LIMIT),
)
def user_tenants(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _tenants(ctx).tenants_of(ctx.workspace, ctx.params["user_id"], ctx.request.query)
    )


@router.put(
    "/users/{user_id}/tenants",
    summary="Add a user to tenants",
    tag=TAG,
    request=UserTenantsBody,
    answers=(NO_CONTENT,),
    body_limit=MAX_TENANT_BODY,
)
def add_user_to_tenants(ctx: Context) -> HttpResponse:
    _tenants(ctx).add_user_to_many(ctx.workspace, ctx.params["user_id"], ctx.request.json())
    return HttpResponse(204, None)


@router.delete(
    "/users/{user_id}/tenants",
    summary="Remove a user from every tenant",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def remove_user_from_tenants(ctx: Context) -> HttpResponse:
    _tenants(ctx).remove_user_from_all(ctx.workspace, ctx.params["user_id"])
    return HttpResponse(204, None)


@router.put(
    "/users/{user_id}/tenants/{tenant_id}",
    summary="Add a user to a tenant",
    tag=TAG,
    request=UserTenantBody,
    request_required=False,
    answers=(NO_CONTENT,),
)
def add_user_to_tenant(ctx: Context) -> HttpResponse:
    body = ctx.request.json() if ctx.request.body.strip() else None
    _tenants(ctx).add_user(ctx.workspace, ctx.params["user_id"], ctx.params["tenant_id"], body)
    return HttpResponse(204, None)


@router.delete(
    "/users/{user_id}/tenants/{tenant_id}",
    summary="Remove a user from a tenant",
    tag=TAG,
    answers=(NO_CONTENT,),
)
def remove_user_from_tenant(ctx: Context) -> HttpResponse:
    _tenants(ctx).remove_user(ctx.workspace, ctx.params["user_id"], ctx.params["tenant_id"])
    return HttpResponse(204, None)
