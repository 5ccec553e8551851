"""Herald's templates API (Courier designs its templates in a web editor)."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.resources.templates import MAX_TEMPLATE_BODY, TemplateService

router = Router()


def _templates(ctx: Context) -> TemplateService:
    return TemplateService(ctx.services.documents)


@router.route("GET", "/templates")
def find_templates(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _templates(ctx).find(ctx.workspace, ctx.request.query.get("cursor")))


@router.route("GET", "/templates/{template_id}")
def get_template(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _templates(ctx).get(ctx.workspace, ctx.params["template_id"]))


@router.route("PUT", "/templates/{template_id}", max_body=MAX_TEMPLATE_BODY)
def put_template(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _templates(ctx).put(ctx.workspace, ctx.params["template_id"], ctx.request.json())
    )


@router.route("DELETE", "/templates/{template_id}")
def delete_template(ctx: Context) -> HttpResponse:
    _templates(ctx).delete(ctx.workspace, ctx.params["template_id"])
    return HttpResponse(204, None)
