"""Courier's notifications API: templates with drafts, versions, publishing and
per-element content, over the same store as Herald's ``/templates``."""

from __future__ import annotations

from herald.api import models_notifications as n
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.notifications import (
    ContentBody,
    ElementBody,
    LocaleBody,
    NotificationBody,
    NotificationService,
    PublishBody,
)
from herald.resources.template_checks import ChecksBody, TemplateChecks
from herald.resources.templates import MAX_TEMPLATE_BODY

router = Router()
TAG = "Notifications"
VERSION = Query("version", '"published" (the default), "draft", or a kept version like "v001"')


def _notifications(ctx: Context) -> NotificationService:
    return NotificationService(ctx.services.documents, api_actor(ctx.request))


@router.get(
    "/notifications",
    summary="List notification templates",
    tag=TAG,
    answers=(Answer(200, n.NotificationPage, "a page of templates, archived ones left out"),),
    query=(
        cursor("templates"),
        Query("tags", "comma-separated tags: only templates carrying all of them (any case)"),
        Query("event_id", "only the template a send names by this id"),
        Query("notes", "accepted; Herald keeps no template notes"),
    ),
)
def find_notifications(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200,
        _notifications(ctx).find(
            ctx.workspace, query.get("cursor"), query.get("tags"), query.get("event_id")
        ),
    )


@router.post(
    "/notifications",
    summary="Create a notification template",
    tag=TAG,
    description=(
        "A draft unless `state` is `PUBLISHED`; its content's elements must be channel "
        "blocks. A send names it by its id in `message.template` once it is published."
    ),
    request=NotificationBody,
    answers=(Answer(201, n.NotificationView, "the template"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def create_notification(ctx: Context) -> HttpResponse:
    return HttpResponse(201, _notifications(ctx).create(ctx.workspace, ctx.request.json()))


@router.get(
    "/notifications/{id}",
    summary="Get a notification template",
    tag=TAG,
    answers=(Answer(200, n.NotificationView, "the template at the version asked"),),
    query=(VERSION,),
)
def get_notification(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _notifications(ctx).retrieve(
            ctx.workspace, ctx.params["id"], ctx.request.query.get("version")
        ),
    )


@router.put(
    "/notifications/{id}",
    summary="Replace a notification template",
    tag=TAG,
    description="Replaces its draft, published at once when `state` is `PUBLISHED`.",
    request=NotificationBody,
    answers=(Answer(200, n.NotificationView, "the template"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def replace_notification(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _notifications(ctx).replace(ctx.workspace, ctx.params["id"], ctx.request.json())
    )


@router.delete(
    "/notifications/{id}",
    summary="Archive a notification template",
    tag=TAG,
    description="It leaves the list and a send may no longer name it; it stays readable.",
    answers=(NO_CONTENT,),
)
def archive_notification(ctx: Context) -> HttpResponse:
    _notifications(ctx).archive(ctx.workspace, ctx.params["id"])
    return HttpResponse(204, None)


@router.get(
    "/notifications/{id}/versions",
    summary="List a notification template's versions",
    tag=TAG,
    answers=(
        Answer(200, n.VersionPage, "its draft, if any, then its kept versions, newest first"),
    ),
    query=(cursor("versions"), Query("limit", "versions a page, 1 to 10 (10)")),
)
def list_notification_versions(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200,
        _notifications(ctx).list_versions(
            ctx.workspace, ctx.params["id"], query.get("cursor"), query.get("limit")
        ),
    )


@router.post(
    "/notifications/{id}/publish",
    summary="Publish a notification template",
    tag=TAG,
    description="Publishes its draft, or makes a kept `version` the published one again.",
    request=PublishBody,
    request_required=False,
    answers=(NO_CONTENT,),
)
def publish_notification(ctx: Context) -> HttpResponse:
    body = ctx.request.json() if ctx.request.body else None
    _notifications(ctx).publish(ctx.workspace, ctx.params["id"], body)
    return HttpResponse(204, None)


@router.get(
    "/notifications/{id}/content",
    summary="Get a notification template's content",
    tag=TAG,
    answers=(Answer(200, n.NotificationContent, "its Elemental content, with checksums"),),
    query=(VERSION,),
)
def get_notification_content(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _notifications(ctx).retrieve_content(
            ctx.workspace, ctx.params["id"], ctx.request.query.get("version")
        ),
    )


@router.put(
    "/notifications/{id}/content",
    summary="Replace a notification template's content",
    tag=TAG,
    request=ContentBody,
    answers=(Answer(200, n.ContentMutation, "its elements' ids and checksums"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_notification_content(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _notifications(ctx).put_content(ctx.workspace, ctx.params["id"], ctx.request.json())
    )


@router.put(
    "/notifications/{id}/elements/{element_id}",
    summary="Replace one element of a notification template",
    tag=TAG,
    description="`data` holds the element's own fields (`content`, `title`, `href`, ...).",
    request=ElementBody,
    answers=(Answer(200, n.ContentMutation, "its elements' ids and checksums"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_notification_element(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _notifications(ctx).put_element(
            ctx.workspace, ctx.params["id"], ctx.params["element_id"], ctx.request.json()
        ),
    )


@router.put(
    "/notifications/{id}/locales/{locale_id}",
    summary="Set a notification template's content in one locale",
    tag=TAG,
    description=(
        "Each entry names an element by `id`; its other fields replace the element's own "
        "for a message in the locale (the element's `locales`)."
    ),
    request=LocaleBody,
    answers=(Answer(200, n.ContentMutation, "its elements' ids and checksums"),),
    body_limit=MAX_TEMPLATE_BODY,
)
def put_notification_locale(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _notifications(ctx).put_locale(
            ctx.workspace, ctx.params["id"], ctx.params["locale_id"], ctx.request.json()
        ),
    )


CHECKS = "/notifications/{id}/{submission_id}/checks"


@router.put(
    CHECKS,
    summary="Replace a template submission's checks",
    tag=TAG,
    description="Recorded as given and read back; Herald gates nothing on them.",
    request=ChecksBody,
    answers=(Answer(200, n.CheckList, "the checks as recorded"),),
)
def put_submission_checks(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        TemplateChecks(ctx.services.documents).replace(
            ctx.workspace, ctx.params["id"], ctx.params["submission_id"], ctx.request.json()
        ),
    )


@router.get(
    CHECKS,
    summary="List a template submission's checks",
    tag=TAG,
    answers=(Answer(200, n.CheckList, "its checks (none recorded: an empty list)"),),
)
def get_submission_checks(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        TemplateChecks(ctx.services.documents).get(
            ctx.workspace, ctx.params["id"], ctx.params["submission_id"]
        ),
    )


@router.delete(
    CHECKS,
    summary="Cancel a template submission",
    tag=TAG,
    description="Its checks are removed; the template stays as it is.",
    answers=(NO_CONTENT,),
)
def cancel_submission(ctx: Context) -> HttpResponse:
    TemplateChecks(ctx.services.documents).cancel(
        ctx.workspace, ctx.params["id"], ctx.params["submission_id"]
    )
    return HttpResponse(204, None)
