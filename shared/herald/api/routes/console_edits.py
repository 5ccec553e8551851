"""The console's forms that change a workspace's brands, lists and preference topics.

Each goes through the service the API's route uses (``BrandService``, ``ListService``,
``PreferenceService``, ``PreferenceSectionService``), so it is checked as the API checks
it; a refusal comes back as the page with the field named beside its input (400), and
another workspace's id answers 404. Every form carries the session's token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer
from herald.api.routes.console import HTML, REFUSED_FORM, TO_SIGN_IN, _notice, _posted, _redirect
from herald.api.routes.console_templates import CONSOLE_ACTOR
from herald.api.routes.console_workspace import (
    NO_SECTION,
    brand_page,
    brands_page,
    lists_page,
    section_names,
    subscribers_page,
    topic_page,
    topics_page,
)
from herald.console.forms import problem_of
from herald.domain.send import check_identifier
from herald.errors import NotFound, ValidationFailed
from herald.resources.brands import BrandService
from herald.resources.lists import ListService
from herald.resources.preference_sections import PreferenceSectionService
from herald.resources.preferences import PreferenceService

router = Router()

TAG = "Console"
REFUSED = Answer(400, None, "a field is not valid: the page, naming it beside its input", raw=HTML)
# The API's field names -> the forms' inputs.
BRAND_INPUTS = {
    "id": "id",
    "name": "name",
    "settings.colors.primary": "primary",
    "settings.colors.secondary": "secondary",
    "settings.email.header.logo.image": "logo",
}
LIST_INPUTS = {"list_id": "list_id", "name": "name", "user_id": "user_id", "recipientId": "user_id"}
TOPIC_INPUTS = {
    "topic_id": "topic_id",
    "topic_name": "topic_name",
    "name": "topic_name",  # a section's topic's
    "default_status": "default_status",
    "section_id": "section",
}


def _identifier(field: str, value: str) -> str:
    """An id given in a form, checked as a path's id is before it names a document."""
    try:
        check_identifier(value)
    except ValueError as exc:
        raise ValidationFailed.of(field, str(exc)) from None
    return value


def _trimmed(form: dict[str, str], *names: str) -> dict[str, str]:
    return {name: form.get(name, "").strip() for name in names}


# --- brands -------------------------------------------------------------------------------


@router.post(
    "/console/brands",
    summary="Makes a brand from the console, as POST /brands does",
    tag=TAG,
    request_required=False,
    answers=(Answer(303, None, "made: to its page"), REFUSED, REFUSED_FORM, TO_SIGN_IN),
    public=True,
)
def create_brand(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    form = _trimmed(raw, "id", "name")
    body: dict[str, Any] = {"name": form["name"]} | ({"id": form["id"]} if form["id"] else {})
    try:
        made = BrandService(ctx.services.documents).create(signed.session.workspace, body)
    except ValidationFailed as exc:
        return brands_page(ctx, signed, 400, form=form, problem=problem_of(exc, BRAND_INPUTS))
    return _redirect(f"/console/brands/{quote(made['id'], safe='')}?notice=saved")


def _with_layout(stored: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The stored brand with the form's name, colours and logo: the rest of its settings
    (Courier's, which Herald keeps as sent) unchanged; an empty field takes its value out."""
    settings = dict(stored.get("settings") or {})
    colors = {k: v for k, v in (settings.get("colors") or {}).items() if k not in BRAND_COLORS}
    colors |= {k: form[k] for k in BRAND_COLORS if form[k]}
    settings["colors"] = colors
    email = dict(settings.get("email") or {})
    header = dict(email.get("header") or {})
    logo = {k: v for k, v in (header.get("logo") or {}).items() if k != "image"}
    logo |= {"image": form["logo"]} if form["logo"] else {}
    settings["email"] = email | {"header": header | {"logo": logo}}
    return {"name": form["name"], "settings": settings, "snippets": stored.get("snippets")}


BRAND_COLORS = ("primary", "secondary")


@router.post(
    "/console/brands/{brand_id}",
    summary="Saves a brand's name, colours and logo from the console, as PUT /brands does",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "saved: back to the brand, its layout previewed"),
        REFUSED,
        Answer(404, None, "no such brand in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def save_brand(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    workspace, brand_id = signed.session.workspace, ctx.params["brand_id"]
    form = _trimmed(raw, "name", *BRAND_COLORS, "logo")
    service = BrandService(ctx.services.documents)
    try:
        service.replace(workspace, brand_id, _with_layout(service.get(workspace, brand_id), form))
    except NotFound:
        return _notice(404, "No such brand", "This workspace has no such brand.", signed)
    except ValidationFailed as exc:
        return brand_page(ctx, signed, 400, form, problem_of(exc, BRAND_INPUTS))
    return _redirect(f"/console/brands/{quote(brand_id, safe='')}?notice=saved")


# --- lists --------------------------------------------------------------------------------


def _list_url(list_id: str, notice: str) -> str:
    return f"/console/lists/{quote(list_id, safe='')}?notice={notice}"


@router.post(
    "/console/lists",
    summary="Makes a list from the console, as PUT /lists/{list_id} does",
    tag=TAG,
    request_required=False,
    answers=(Answer(303, None, "made: to its page"), REFUSED, REFUSED_FORM, TO_SIGN_IN),
    public=True,
)
def create_list(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    form, workspace = _trimmed(raw, "list_id", "name"), signed.session.workspace
    service = ListService(ctx.services.documents)
    try:
        list_id = _identifier("list_id", form["list_id"])
        if _exists(lambda: service.get(workspace, list_id)):
            raise ValidationFailed.of("list_id", f"list {list_id} exists: its page renames it")
        service.put(workspace, list_id, {"name": form["name"] or None})
    except ValidationFailed as exc:
        return lists_page(ctx, signed, 400, form=form, problem=problem_of(exc, LIST_INPUTS))
    return _redirect(_list_url(list_id, "created"))


def _exists(read: Callable[[], object]) -> bool:
    try:
        read()
    except NotFound:
        return False
    return True


LIST_ANSWERS = (REFUSED, Answer(404, None, "no such list in the workspace", raw=HTML))


@router.post(
    "/console/lists/{list_id}",
    summary="Renames a list from the console, as PUT /lists/{list_id} does",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "renamed: back to the list"),
        *LIST_ANSWERS,
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def rename_list(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    form, workspace, list_id = (
        _trimmed(raw, "name"),
        signed.session.workspace,
        ctx.params["list_id"],
    )
    service = ListService(ctx.services.documents)
    try:
        service.get(workspace, list_id)  # only a list of the workspace's, not a new one
        if not form["name"]:
            raise ValidationFailed.of("name", "must not be blank")
        service.put(workspace, list_id, {"name": form["name"]})
    except NotFound:
        return _notice(404, "No such list", "This workspace has no such list.", signed)
    except ValidationFailed as exc:
        form |= {"user_id": ""}
        return subscribers_page(ctx, signed, 400, form, problem_of(exc, LIST_INPUTS))
    return _redirect(_list_url(list_id, "renamed"))


@router.post(
    "/console/lists/{list_id}/subscribers",
    summary="Subscribes a user to a list from the console, as PUT .../subscriptions/{user} does",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "subscribed: back to the list"),
        *LIST_ANSWERS,
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def subscribe(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    workspace, list_id = signed.session.workspace, ctx.params["list_id"]
    form = _trimmed(raw, "user_id")
    service = ListService(ctx.services.documents)
    try:
        found = service.get(workspace, list_id)
        service.subscribe_user(workspace, list_id, _identifier("user_id", form["user_id"]), None)
    except NotFound:
        return _notice(404, "No such list", "This workspace has no such list.", signed)
    except ValidationFailed as exc:
        form |= {"name": found["name"]}
        return subscribers_page(ctx, signed, 400, form, problem_of(exc, LIST_INPUTS))
    return _redirect(_list_url(list_id, "subscribed"))


@router.post(
    "/console/lists/{list_id}/subscribers/{user_id}/remove",
    summary="Unsubscribes a user from a list from the console, as DELETE .../{user_id} does",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "unsubscribed: back to the list"),
        Answer(404, None, "no such list, or the user is not subscribed to it", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def unsubscribe(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, _ = posted
    workspace, list_id = signed.session.workspace, ctx.params["list_id"]
    service = ListService(ctx.services.documents)
    try:
        service.get(workspace, list_id)
        service.unsubscribe_user(workspace, list_id, ctx.params["user_id"])
    except NotFound:
        text = "This workspace has no such list, or the user is not subscribed to it."
        return _notice(404, "Not subscribed", text, signed)
    return _redirect(_list_url(list_id, "removed"))


# --- preference topics --------------------------------------------------------------------


@router.post(
    "/console/topics",
    summary="Makes a preference topic from the console, in a section or not, as the API does",
    tag=TAG,
    request_required=False,
    answers=(Answer(303, None, "made: to its page"), REFUSED, REFUSED_FORM, TO_SIGN_IN),
    public=True,
)
def create_topic(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    workspace = signed.session.workspace
    form = _trimmed(raw, "topic_id", "topic_name", "default_status", "section")
    try:
        topic_id = _made_topic(ctx, workspace, form)
    except ValidationFailed as exc:
        return topics_page(ctx, signed, 400, form=form, problem=problem_of(exc, TOPIC_INPUTS))
    return _redirect(f"/console/topics/{quote(topic_id, safe='')}?notice=created")


def _made_topic(ctx: Context, workspace: str, form: dict[str, str]) -> str:
    """A section's topic through the sections' service (which names it), or one of no
    section through ``PUT /preferences/topics``'s; its id."""
    section = form["section"]
    if section != NO_SECTION:
        if section not in section_names(ctx, workspace):
            raise ValidationFailed.of("section_id", "not one of the workspace's sections")
        sections = PreferenceSectionService(ctx.services.documents, CONSOLE_ACTOR)
        body = {"name": form["topic_name"], "default_status": form["default_status"]}
        made: str = sections.create_topic(workspace, section, body)["id"]
        return made
    topics = PreferenceService(ctx.services.documents)
    topic_id = _identifier("topic_id", form["topic_id"])
    if topics.topic(workspace, topic_id) is not None:
        raise ValidationFailed.of("topic_id", f"topic {topic_id} exists: its page edits it")
    body = {"topic_name": form["topic_name"], "default_status": form["default_status"]}
    topics.put_topic(workspace, topic_id, body)
    return topic_id


@router.post(
    "/console/topics/{topic_id}",
    summary="Saves a preference topic's name and default status from the console",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "saved: back to the topic"),
        REFUSED,
        Answer(404, None, "no such topic in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def save_topic(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, raw = posted
    workspace, topic_id = signed.session.workspace, ctx.params["topic_id"]
    form = _trimmed(raw, "topic_name", "default_status")
    topics = PreferenceService(ctx.services.documents)
    current = topics.topic(workspace, topic_id)
    if current is None:
        return _notice(404, "No such topic", "This workspace has no such topic.", signed)
    # A PUT replaces what it names: the topic's channels and digest go back as they are.
    body = {
        **current.model_dump(mode="json", include={"allowed_channels", "digest"}),
        "topic_name": form["topic_name"],
        "default_status": form["default_status"],
    }
    try:
        topics.put_topic(workspace, topic_id, body)
    except ValidationFailed as exc:
        return topic_page(ctx, signed, 400, form, problem_of(exc, TOPIC_INPUTS))
    return _redirect(f"/console/topics/{quote(topic_id, safe='')}?notice=saved")
