"""The console's pages of what a workspace keeps beside its messages: its brands (each with
its email layout previewed in the sandboxed frame), its lists and their subscribers, its
preference topics, and its API keys (a new key shown once; revoking one).

Every read and write is the signed-in workspace's, through the same services as the API's
routes; another workspace's ids answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args
from urllib.parse import quote, urlencode

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, Query
from herald.api.routes.console import (
    HTML,
    PAGE,
    REFUSED_FORM,
    TO_SIGN_IN,
    Signed,
    _html,
    _notice,
    _posted,
    _redirect,
    _signed_in,
)
from herald.api.routes.console_templates import CONSOLE_ACTOR
from herald.console import pages
from herald.console.forms import FormProblem
from herald.domain.audience import PreferenceStatus
from herald.domain.rendering import RenderFailed, render_channel
from herald.errors import NotFound
from herald.resources.audit_events import AuditLog
from herald.resources.brands import BrandService, for_rendering
from herald.resources.keys import create_key, revoke_key
from herald.resources.lists import ListService
from herald.resources.preference_sections import PreferenceSectionService
from herald.resources.preferences import PreferenceService

router = Router()

TAG = "Console"
# A page's cursor is a document id (Firestore's are at most 1,500 bytes).
MAX_CURSOR_CHARS = 1500
CURSOR = Query("cursor", "the next page's cursor")
# What a brand's email layout is previewed with: its header, a heading, text and a button.
BRAND_SAMPLE = {
    "version": "2022-01-01",
    "elements": [
        {"type": "meta", "title": "A message in this brand"},
        {"type": "text", "content": "The email layout: the brand's logo, colours and name."},
        {"type": "action", "content": "A button", "href": "https://example.com/"},
    ],
}


def _cursor(ctx: Context, signed: Signed) -> str | HttpResponse | None:
    """The page's cursor, or the answer refusing one too long to be a document id."""
    cursor = ctx.request.query.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR_CHARS:
        text = f"cursor: at most {MAX_CURSOR_CHARS} characters."
        return _notice(400, "Not a page", text, signed)
    return cursor


def _next(path: str, listed: dict[str, Any]) -> str:
    more = listed["paging"]["cursor"]
    return f"{path}?{urlencode({'cursor': more})}" if more else ""


def _page(
    signed: Signed, template: str, title: str, status: int = 200, **values: Any
) -> HttpResponse:
    page = pages.render(
        template, title, workspace=signed.session.workspace, csrf=signed.csrf, **values
    )
    return _html(status, page)


def _listing(
    ctx: Context,
    path: str,
    template: str,
    title: str,
    name: str,
    items_key: str,
    find: Callable[[str, str | None], dict[str, Any]],
    signed: Signed | None = None,
    status: int = 200,
    **values: Any,
) -> HttpResponse:
    """A page of one of the workspace's resources, read through its service's own pager,
    with its form (``values``: what was posted, and why it was refused)."""
    if signed is None:
        opened = _signed_in(ctx)
        if isinstance(opened, HttpResponse):
            return opened
        signed = opened
    cursor = _cursor(ctx, signed)
    if isinstance(cursor, HttpResponse):
        return cursor
    listed = find(signed.session.workspace, cursor)
    return _page(
        signed,
        template,
        title,
        status,
        **{name: listed[items_key]},
        next_page=_next(path, listed),
        **{"problem": None, **values},
    )


# --- brands -------------------------------------------------------------------------------


@router.get(
    "/console/brands",
    summary="The workspace's brands, each linked to its page",
    tag=TAG,
    answers=(PAGE, Answer(400, None, "the cursor is too long", raw=HTML), TO_SIGN_IN),
    query=(CURSOR,),
    public=True,
)
def brands(ctx: Context) -> HttpResponse:
    return brands_page(ctx)


def brands_page(
    ctx: Context, signed: Signed | None = None, status: int = 200, **values: Any
) -> HttpResponse:
    return _listing(
        ctx,
        "/console/brands",
        "brands.html",
        "Brands",
        "brands",
        "results",
        lambda workspace, cursor: BrandService(ctx.services.documents).find(workspace, cursor),
        signed,
        status,
        **{"form": {"id": "", "name": ""}, **values},
    )


@router.get(
    "/console/brands/{brand_id}",
    summary="A brand: its settings, and its email layout previewed in a sandboxed frame",
    tag=TAG,
    answers=(PAGE, Answer(404, None, "no such brand in the workspace", raw=HTML), TO_SIGN_IN),
    public=True,
)
def brand(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    return brand_page(
        ctx, signed, notice=BRAND_NOTICES.get(ctx.request.query.get("notice", ""), "")
    )


BRAND_NOTICES = {"saved": "The brand was saved: the layout below is the saved one."}


def brand_form(stored: dict[str, Any]) -> dict[str, str]:
    """The brand's fields as its form shows them (what the email layout uses)."""
    layout = for_rendering(stored)
    colors = layout["colors"] or {}
    return {
        "name": stored.get("name") or "",
        "primary": colors.get("primary") or "",
        "secondary": colors.get("secondary") or "",
        "logo": layout["logo_url"] or "",
    }


def brand_page(
    ctx: Context,
    signed: Signed,
    status: int = 200,
    form: dict[str, str] | None = None,
    problem: FormProblem | None = None,
    notice: str = "",
) -> HttpResponse:
    """The brand as saved, its form (what was posted, when refused) and its layout."""
    try:
        stored = BrandService(ctx.services.documents).get(
            signed.session.workspace, ctx.params["brand_id"]
        )
    except NotFound:
        return _notice(404, "No such brand", "This workspace has no such brand.", signed)
    layout = for_rendering(stored)
    try:
        preview, error = render_channel("email", BRAND_SAMPLE, {}, brand=layout), ""
    except RenderFailed as exc:
        preview, error = {}, str(exc)
    return _page(
        signed,
        "brand.html",
        f"Brand {stored['id']}",
        status,
        brand=stored,
        form=form or brand_form(stored),
        problem=problem,
        notice=notice,
        preview=preview,
        error=error,
    )


# --- lists --------------------------------------------------------------------------------


@router.get(
    "/console/lists",
    summary="The workspace's lists, each linked to its subscribers",
    tag=TAG,
    answers=(PAGE, Answer(400, None, "the cursor is too long", raw=HTML), TO_SIGN_IN),
    query=(CURSOR,),
    public=True,
)
def lists(ctx: Context) -> HttpResponse:
    return lists_page(ctx)


def lists_page(
    ctx: Context, signed: Signed | None = None, status: int = 200, **values: Any
) -> HttpResponse:
    return _listing(
        ctx,
        "/console/lists",
        "lists.html",
        "Lists",
        "lists",
        "items",
        lambda workspace, cursor: ListService(ctx.services.documents).find(workspace, None, cursor),
        signed,
        status,
        **{"form": {"list_id": "", "name": ""}, **values},
    )


@router.get(
    "/console/lists/{list_id}",
    summary="A list and its subscribers",
    tag=TAG,
    answers=(
        PAGE,
        Answer(400, None, "the cursor is too long", raw=HTML),
        Answer(404, None, "no such list in the workspace", raw=HTML),
        TO_SIGN_IN,
    ),
    query=(CURSOR,),
    public=True,
)
def list_page(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    notice = LIST_NOTICES.get(ctx.request.query.get("notice", ""), "")
    return subscribers_page(ctx, signed, notice=notice)


LIST_NOTICES = {
    "created": "The list was made.",
    "renamed": "The list was renamed.",
    "subscribed": "The user was subscribed.",
    "removed": "The user was unsubscribed.",
}


def subscribers_page(
    ctx: Context,
    signed: Signed,
    status: int = 200,
    form: dict[str, str] | None = None,
    problem: FormProblem | None = None,
    notice: str = "",
) -> HttpResponse:
    """A list, its forms (what was posted, when refused) and a page of its subscribers."""
    cursor = _cursor(ctx, signed)
    if isinstance(cursor, HttpResponse):
        return cursor
    service, workspace, list_id = (
        ListService(ctx.services.documents),
        signed.session.workspace,
        ctx.params["list_id"],
    )
    try:
        found = service.get(workspace, list_id)
        subscribers = service.subscriptions(workspace, list_id, cursor)
    except NotFound:
        return _notice(404, "No such list", "This workspace has no such list.", signed)
    return _page(
        signed,
        "list.html",
        f"List {list_id}",
        status,
        found=found,
        form=form or {"name": found["name"], "user_id": ""},
        problem=problem,
        notice=notice,
        subscribers=subscribers["items"],
        next_page=_next(f"/console/lists/{quote(list_id, safe='')}", subscribers),
    )


# --- preference topics --------------------------------------------------------------------


@router.get(
    "/console/topics",
    summary="The workspace's preference topics",
    tag=TAG,
    answers=(PAGE, Answer(400, None, "the cursor is too long", raw=HTML), TO_SIGN_IN),
    query=(CURSOR,),
    public=True,
)
def topics(ctx: Context) -> HttpResponse:
    return topics_page(ctx)


# A preference status as the topic forms offer it.
STATUSES = [(status, status) for status in get_args(PreferenceStatus)]
NO_SECTION = ""


def section_names(ctx: Context, workspace: str) -> dict[str, str]:
    """The workspace's preference sections (a bounded few), by id."""
    found = PreferenceSectionService(ctx.services.documents, CONSOLE_ACTOR).find(workspace)
    return {section["id"]: section["name"] for section in found["results"]}


def topics_page(
    ctx: Context, signed: Signed | None = None, status: int = 200, **values: Any
) -> HttpResponse:
    if signed is None:
        opened = _signed_in(ctx)
        if isinstance(opened, HttpResponse):
            return opened
        signed = opened
    names = section_names(ctx, signed.session.workspace)
    return _listing(
        ctx,
        "/console/topics",
        "topics.html",
        "Preference topics",
        "topics",
        "items",
        lambda workspace, cursor: PreferenceService(ctx.services.documents).topics(
            workspace, cursor
        ),
        signed,
        status,
        statuses=STATUSES,
        sections=[(NO_SECTION, "none"), *names.items()],
        section_names=names,
        **{
            "form": {
                "topic_id": "",
                "topic_name": "",
                "default_status": "OPTED_IN",
                "section": NO_SECTION,
            },
            **values,
        },
    )


TOPIC_NOTICES = {"saved": "The topic was saved.", "created": "The topic was made."}


@router.get(
    "/console/topics/{topic_id}",
    summary="A preference topic: its name and default status edited",
    tag=TAG,
    answers=(PAGE, Answer(404, None, "no such topic in the workspace", raw=HTML), TO_SIGN_IN),
    query=(Query("notice", "what the last action did", enum=tuple(TOPIC_NOTICES)),),
    public=True,
)
def topic(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    return topic_page(
        ctx, signed, notice=TOPIC_NOTICES.get(ctx.request.query.get("notice", ""), "")
    )


def topic_page(
    ctx: Context,
    signed: Signed,
    status: int = 200,
    form: dict[str, str] | None = None,
    problem: FormProblem | None = None,
    notice: str = "",
) -> HttpResponse:
    workspace = signed.session.workspace
    found = PreferenceService(ctx.services.documents).topic(workspace, ctx.params["topic_id"])
    if found is None:
        return _notice(404, "No such topic", "This workspace has no such topic.", signed)
    section = section_names(ctx, workspace).get(found.section_id or "", found.section_id or "")
    return _page(
        signed,
        "topic.html",
        f"Topic {found.topic_id}",
        status,
        topic=found,
        section_name=section,
        statuses=STATUSES,
        form=form or {"topic_name": found.topic_name, "default_status": found.default_status},
        problem=problem,
        notice=notice,
    )


# --- API keys -----------------------------------------------------------------------------

KEY_NOTICES = {"revoked": "The key was revoked: requests with it get 401 from now on."}


def _keys_page(ctx: Context, signed: Signed, status: int = 200, new_key: str = "") -> HttpResponse:
    return _page(
        signed,
        "keys.html",
        "API keys",
        status,
        keys=ctx.services.keys.list(signed.session.workspace),
        new_key=new_key,
        notice=KEY_NOTICES.get(ctx.request.query.get("notice", ""), ""),
    )


@router.get(
    "/console/keys",
    summary="The workspace's API keys: their ids and hints, never the keys",
    tag=TAG,
    answers=(PAGE, TO_SIGN_IN),
    query=(Query("notice", "what the last action did", enum=tuple(KEY_NOTICES)),),
    public=True,
)
def keys(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    return _keys_page(ctx, signed)


@router.post(
    "/console/keys",
    summary="Creates an API key for the workspace, shown on the page this once",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(201, None, "created: the keys page, with the new key shown once", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def create(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, _ = posted
    audit = AuditLog(ctx.services.documents)
    key, _record = create_key(
        ctx.services.keys, audit, signed.session.workspace, actor=CONSOLE_ACTOR, source="console"
    )
    # The page itself, not a redirect: the key must never be in a URL (history, logs).
    return _keys_page(ctx, signed, 201, new_key=key)


@router.post(
    "/console/keys/{key_id}/revoke",
    summary="Revokes one of the workspace's API keys",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "revoked: back to the keys, saying so"),
        Answer(404, None, "no such key in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def revoke(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, _ = posted
    key_id, workspace = ctx.params["key_id"], signed.session.workspace
    # Key ids are the deployment's: only one of this workspace's may be revoked here.
    if not any(k.key_id == key_id for k in ctx.services.keys.list(workspace)):
        return _notice(404, "No such key", "This workspace has no such key.", signed)
    revoke_key(
        ctx.services.keys, AuditLog(ctx.services.documents), key_id, CONSOLE_ACTOR, "console"
    )
    return _redirect("/console/keys?notice=revoked")
