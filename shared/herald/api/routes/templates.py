"""Herald's templates API (Courier designs its templates in a web editor)."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, cursor
from herald.resources.templates import MAX_TEMPLATE_BODY, TemplateBody, TemplateService

router = Router()
TAG = "Templates"


def _templates(ctx: Context) -> TemplateService:
    return TemplateService(ctx.services.documents, api_actor(ctx.request))


@router.get(
    "/templates",
    summary="List templates",
    tag=TAG,
    answers=(Answer(200, d.TemplatePage, "a page of templates"),),
    query=(cursor("templates"),),
)
def find_templates(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _templates(ctx).find(ctx.workspace, ctx.request.query.get("cursor")))


@router.get(
    "/templates/{template_id}",
    summary="Get a template",
    tag=TAG,
    answers=(Answer(200, d.TemplateView, "the template"),),
)
def get_template(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _templates(ctx).get(ctx.workspace, ctx.params["template_id"]))


@router.put(
    "/templates/{template_id}",
    summary="Create or replace a template",
    tag=TAG,
    description=(
        "Herald's own API (Courier designs templates in a web editor); "
        "a send names one in `message.template`."
    ),
    request=TemplateBody,
    answers=(Answer(200, d.TemplateView, "the template as stored"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_template(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _templates(ctx).put(ctx.workspace, ctx.params["template_id"], ctx.request.json())
    )


@router.delete(
    "/templates/{template_id}", summary="Delete a template", tag=TAG, answers=(NO_CONTENT,)
)
def delete_template(ctx: Context) -> HttpResponse:
    _templates(ctx).delete(ctx.workspace, ctx.params["template_id"])
    return HttpResponse(204, None)
