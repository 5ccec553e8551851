"""Courier's journey-scoped templates: a journey's own notification templates, on the
notifications API's store (``herald.resources.journey_templates``)."""

from __future__ import annotations

from herald.api import models_notifications as n
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.journey_templates import (
    JourneyNotificationService,
    JourneyTemplateBody,
    JourneyTemplateReplace,
)
from herald.resources.notifications import (
    ContentBody,
    LocaleBody,
    NotificationService,
    PublishBody,
)
from herald.resources.templates import MAX_TEMPLATE_BODY

router = Router()
TAG = "Journeys"
TEMPLATES = "/journeys/{template_id}/templates"
TEMPLATE = TEMPLATES + "/{notification_id}"


def _templates(ctx: Context) -> JourneyNotificationService:
    return JourneyNotificationService(
        NotificationService(ctx.services.documents, api_actor(ctx.request))
    )


@router.get(
    TEMPLATES,
    summary="List a journey's templates",
    tag=TAG,
    answers=(
        Answer(200, n.JourneyTemplatePage, "a page of its templates, archived ones left out"),
    ),
    query=(cursor("templates"), Query("limit", "templates a page, 1 to 100 (20)")),
)
def find_journey_templates(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200,
        _templates(ctx).find(
            ctx.workspace, ctx.params["template_id"], query.get("cursor"), query.get("limit")
        ),
    )


@router.post(
    TEMPLATES,
    summary="Create a journey's template",
    tag=TAG,
    description=(
        "A notification template only this journey's send nodes may name: its content is"
        " exactly one channel block, for `channel`. A draft unless `state` is `PUBLISHED`."
        " Send `Idempotency-Key` to make retries safe."
    ),
    request=JourneyTemplateBody,
    answers=(Answer(200, n.NotificationView, "the template"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def create_journey_template(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _templates(ctx).create(ctx.workspace, ctx.params["template_id"], ctx.request.json())
    )


@router.get(
    TEMPLATE,
    summary="Get a journey's template",
    tag=TAG,
    answers=(Answer(200, n.NotificationView, "its published version, else its draft"),),
)
def get_journey_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).retrieve(ctx.workspace, params["template_id"], params["notification_id"]),
    )


@router.put(
    TEMPLATE,
    summary="Replace a journey's template",
    tag=TAG,
    description="Replaces its draft, published at once when `state` is `PUBLISHED`.",
    request=JourneyTemplateReplace,
    answers=(Answer(200, n.NotificationView, "the template"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def replace_journey_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).replace(
            ctx.workspace, params["template_id"], params["notification_id"], ctx.request.json()
        ),
    )


@router.delete(
    TEMPLATE,
    summary="Archive a journey's template",
    tag=TAG,
    description="It leaves the journey's list; a send node may no longer name it.",
    answers=(NO_CONTENT,),
)
def archive_journey_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    _templates(ctx).archive(ctx.workspace, params["template_id"], params["notification_id"])
    return HttpResponse(204, None)


@router.get(
    TEMPLATE + "/versions",
    summary="List a journey's template's versions",
    tag=TAG,
    answers=(Answer(200, n.VersionPage, "its draft, if any, then its versions, newest first"),),
)
def list_journey_template_versions(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).list_versions(
            ctx.workspace, params["template_id"], params["notification_id"]
        ),
    )


@router.post(
    TEMPLATE + "/publish",
    summary="Publish a journey's template",
    tag=TAG,
    description=(
        "Publishes its draft, or makes a kept `version` the published one again."
        " Send `Idempotency-Key` to make retries safe."
    ),
    request=PublishBody,
    request_required=False,
    answers=(NO_CONTENT,),
)
def publish_journey_template(ctx: Context) -> HttpResponse:
    params = ctx.params
    body = ctx.request.json() if ctx.request.body else None
    _templates(ctx).publish(ctx.workspace, params["template_id"], params["notification_id"], body)
    return HttpResponse(204, None)


@router.get(
    TEMPLATE + "/content",
    summary="Get a journey's template's content",
    tag=TAG,
    answers=(Answer(200, n.NotificationContent, "its Elemental content, with checksums"),),
    query=(Query("version", '"published" (the default), "draft", or a kept version like "v001"'),),
)
def get_journey_template_content(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).retrieve_content(
            ctx.workspace,
            params["template_id"],
            params["notification_id"],
            ctx.request.query.get("version"),
        ),
    )


@router.put(
    TEMPLATE + "/content",
    summary="Replace a journey's template's content",
    tag=TAG,
    description="One channel block, for the template's channel.",
    request=ContentBody,
    answers=(Answer(200, n.ContentMutation, "its elements' ids and checksums"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_journey_template_content(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).put_content(
            ctx.workspace, params["template_id"], params["notification_id"], ctx.request.json()
        ),
    )


@router.put(
    TEMPLATE + "/locales/{locale_id}",
    summary="Set a journey's template's content in one locale",
    tag=TAG,
    description="Each entry names an element by `id`; its other fields replace the element's own.",
    request=LocaleBody,
    answers=(Answer(200, n.ContentMutation, "its elements' ids and checksums"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_journey_template_locale(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _templates(ctx).put_locale(
            ctx.workspace,
            params["template_id"],
            params["notification_id"],
            params["locale_id"],
            ctx.request.json(),
        ),
    )
