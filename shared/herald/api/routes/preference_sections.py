"""Courier's workspace preferences: sections of subscription topics, and the hosted page."""

from __future__ import annotations

from herald.api import models_configuration as c
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.preference_logs import find_changes
from herald.resources.preference_sections import (
    PreferenceSectionService,
    PublishBody,
    SectionBody,
    SectionTopicBody,
)

router = Router()
TAG = "Preferences"
SECTION = "/preferences/sections/{section_id}"
TOPIC = SECTION + "/topics/{topic_id}"


def _sections(ctx: Context) -> PreferenceSectionService:
    return PreferenceSectionService(ctx.services.documents, api_actor(ctx.request))


@router.get(
    "/preferences/sections",
    summary="List preference sections",
    tag=TAG,
    answers=(Answer(200, c.PreferenceSectionList, "every section, with its topics"),),
)
def find_sections(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _sections(ctx).find(ctx.workspace))


@router.post(
    "/preferences/sections",
    summary="Create a preference section",
    tag=TAG,
    description="Its id is generated; add topics with `POST .../topics`.",
    request=SectionBody,
    answers=(Answer(200, c.PreferenceSectionView, "the section as stored"),),
)
def create_section(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _sections(ctx).create(ctx.workspace, ctx.request.json()))


@router.get(
    SECTION,
    summary="Get a preference section",
    tag=TAG,
    answers=(Answer(200, c.PreferenceSectionView, "the section, with its topics"),),
)
def get_section(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _sections(ctx).get(ctx.workspace, ctx.params["section_id"]))


@router.put(
    SECTION,
    summary="Replace a preference section",
    tag=TAG,
    description="What the body omits is cleared; its topics stay.",
    request=SectionBody,
    answers=(Answer(200, c.PreferenceSectionView, "the section as stored"),),
)
def replace_section(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _sections(ctx).replace(ctx.workspace, ctx.params["section_id"], ctx.request.json())
    )


@router.delete(
    SECTION,
    summary="Archive a preference section",
    tag=TAG,
    description="Only an empty section: one with topics is a 409.",
    answers=(NO_CONTENT, Answer(409, None, "the section still has topics")),
)
def archive_section(ctx: Context) -> HttpResponse:
    _sections(ctx).archive(ctx.workspace, ctx.params["section_id"])
    return HttpResponse(204, None)


@router.get(
    SECTION + "/topics",
    summary="List a section's topics",
    tag=TAG,
    answers=(Answer(200, c.PreferenceTopicList, "the section's topics, in order"),),
)
def find_section_topics(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _sections(ctx).topics(ctx.workspace, ctx.params["section_id"]))


@router.post(
    SECTION + "/topics",
    summary="Create a topic in a section",
    tag=TAG,
    description=(
        "Its id is generated; a send names it in `message.preferences.subscription_topic_id`,"
        " and `/preferences/topics` serves it too. A `digest` is refused: Herald keeps none."
    ),
    request=SectionTopicBody,
    answers=(Answer(200, c.PreferenceTopicView, "the topic as stored"),),
)
def create_section_topic(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200,
        _sections(ctx).create_topic(ctx.workspace, ctx.params["section_id"], ctx.request.json()),
    )


@router.get(
    TOPIC,
    summary="Get a topic of a section",
    tag=TAG,
    answers=(Answer(200, c.PreferenceTopicView, "the topic"),),
)
def get_section_topic(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200, _sections(ctx).get_topic(ctx.workspace, params["section_id"], params["topic_id"])
    )


@router.put(
    TOPIC,
    summary="Replace a topic of a section",
    tag=TAG,
    description="What the body omits is cleared.",
    request=SectionTopicBody,
    answers=(Answer(200, c.PreferenceTopicView, "the topic as stored"),),
)
def replace_section_topic(ctx: Context) -> HttpResponse:
    params = ctx.params
    return HttpResponse(
        200,
        _sections(ctx).replace_topic(
            ctx.workspace, params["section_id"], params["topic_id"], ctx.request.json()
        ),
    )


@router.delete(
    TOPIC,
    summary="Archive a topic of a section",
    tag=TAG,
    description="The topic is deleted; users' choices for it no longer apply.",
    answers=(NO_CONTENT,),
)
def archive_section_topic(ctx: Context) -> HttpResponse:
    params = ctx.params
    _sections(ctx).archive_topic(ctx.workspace, params["section_id"], params["topic_id"])
    return HttpResponse(204, None)


@router.post(
    "/preferences/publish",
    summary="Publish the hosted preferences page",
    tag=TAG,
    description=(
        "Records the page's heading, description and brand; Herald's page always shows"
        " the topics as they are, so nothing else changes."
    ),
    request=PublishBody,
    request_required=False,
    answers=(Answer(200, c.PreferencesPublished, "the published page's id and version"),),
)
def publish_page(ctx: Context) -> HttpResponse:
    body = ctx.request.json() if ctx.request.body else {}
    return HttpResponse(200, _sections(ctx).publish(ctx.workspace, body))


@router.get(
    "/preferences/logs",
    summary="List changes of users' preferences",
    tag=TAG,
    description=(
        "Each change of a user's choice for a topic (through the API or the preferences"
        " page), newest first. A filtered page reads at most 1000 entries, so it may be"
        " short with `more` true."
    ),
    answers=(Answer(200, c.PreferenceChangePage, "a page of changes"),),
    query=(
        cursor("changes"),
        Query("limit", "how many to return: 1 to 100, 25 if not given"),
        Query("since", "only changes at or after this ISO 8601 date or date-time"),
        Query("user_id", "only this user's changes"),
        Query("tenant_id", "with user_id: changes made in this tenant's context (none)"),
    ),
)
def find_preference_changes(ctx: Context) -> HttpResponse:
    return HttpResponse(200, find_changes(ctx.services.documents, ctx.workspace, ctx.request.query))
