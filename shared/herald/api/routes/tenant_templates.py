"""Courier's tenant templates: a tenant's own versions of a workspace template."""

from __future__ import annotations

from herald.api import models_configuration as c
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.tenant_templates import (
    MAX_TENANT_TEMPLATE_BODY,
    PublishBody,
    TenantTemplateBody,
    TenantTemplateService,
)

router = Router()
TAG = "Tenants"
TEMPLATE = "/tenants/{tenant_id}/templates/{template_id}"


def _templates(ctx: Context) -> TenantTemplateService:
    return TenantTemplateService(ctx.services.documents)


@router.get(
    "/tenants/{tenant_id}/templates",
    summary="List a tenant's templates",
    tag=TAG,
    answers=(Answer(200, c.TenantTemplateList, "a page of templates, each its latest version"),),
    query=(cursor("templates"), Query("limit", "how many to return: 1 to 100, 20 if not given")),
)
def find_tenant_templates(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _templates(ctx).find(ctx.workspace, ctx.params["tenant_id"], ctx.request.query)
    )


@router.get(
    TEMPLATE,
    summary="Get a tenant's template",
    tag=TAG,
    answers=(Answer(200, c.TenantTemplateVersion, "its latest version"),),
)
def get_tenant_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200, _templates(ctx).get(ctx.workspace, params["tenant_id"], params["template_id"])
    )


@router.put(
    TEMPLATE,
    summary="Save a tenant's version of a template",
    tag=TAG,
    description=(
        "Each save is a new version (`v1`, `v2`, ...), published at once when `published`"
        " is true. The template must exist in the workspace; its `content` is Elemental."
        " `channels` and `providers`: not yet (400)."
    ),
    request=TenantTemplateBody,
    answers=(Answer(200, c.TenantTemplateSaved, "the version saved"),),
    body_limit=MAX_TENANT_TEMPLATE_BODY,
)
def replace_tenant_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).replace(
            ctx.workspace, params["tenant_id"], params["template_id"], ctx.request.json()
        ),
    )


@router.post(
    TEMPLATE + "/publish",
    summary="Publish a version of a tenant's template",
    tag=TAG,
    description="`version`: `latest` (the default) or `vN`. Sends in the tenant's context use it.",
    request=PublishBody,
    request_required=False,
    answers=(Answer(200, c.TenantTemplateSaved, "the version published"),),
)
def publish_tenant_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    body = ctx.request.json() if ctx.request.body else {}
    return HttpResponse(
        200,
        _templates(ctx).publish(ctx.workspace, params["tenant_id"], params["template_id"], body),
    )


@router.delete(
    TEMPLATE,
    summary="Delete a tenant's template",
    tag=TAG,
    description="With its versions: the tenant's sends use the workspace's template again.",
    answers=(NO_CONTENT,),
)
def delete_tenant_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    _templates(ctx).delete(ctx.workspace, params["tenant_id"], params["template_id"])
    return HttpResponse(204, None)


@router.get(
    TEMPLATE + "/versions/{version}",
    summary="Get a version of a tenant's template",
    tag=TAG,
    description="`version`: `latest`, `published` or `vN` (the newest 20 and the published kept).",
    answers=(Answer(200, c.TenantTemplateVersion, "the version"),),
)
def get_tenant_template_version(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).get(
            ctx.workspace, params["tenant_id"], params["template_id"], params["version"]
        ),
    )
