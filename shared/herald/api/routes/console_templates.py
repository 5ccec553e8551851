"""The console's templates: the workspace's list, and a template's page, where its title
and body are edited and previewed with sample data, rendered by the same sandboxed
interpreter a send renders with; an error is shown with its line and column, in place.

Only title-and-body templates are edited here; an Elemental template is previewed and
shown as its JSON (edited through ``PUT /templates/{id}``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from herald import templating
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, Query
from herald.api.routes.console import (
    HTML,
    JSON,
    PAGE,
    REFUSED_FORM,
    TO_SIGN_IN,
    Signed,
    _field_error,
    _html,
    _notice,
    _posted,
    _redirect,
    _signed_in,
)
from herald.console import pages
from herald.console.pages import SECURITY_HEADERS
from herald.domain.rendering import RenderFailed, render_channel
from herald.errors import NotFound, ValidationFailed
from herald.json_input import parse_json
from herald.resources.templates import MAX_TEMPLATE_BODY, TemplateService

router = Router()

TAG = "Console"
# A form's fields are URL-encoded (up to three bytes for one); what they hold is checked
# against the template's own bound once decoded.
FORM_LIMIT = 3 * MAX_TEMPLATE_BODY + 64 * 1024
MAX_SAMPLE_DATA = 64 * 1024
PARTS = ("title", "body")


@dataclass(frozen=True)
class PreviewError:
    """Where the sandbox stopped: the part, its line and column (when it knows them), the
    line's text and a caret under the column."""

    part: str
    reason: str
    line: int | None = None
    column: int | None = None
    source_line: str = ""

    @property
    def caret(self) -> str:
        return " " * ((self.column or 1) - 1) + "^"


# A console change's audit entry: the console signs in with a workspace key it does not
# keep, so the actor is the console itself.
CONSOLE_ACTOR = "console"


def _templates(ctx: Context) -> TemplateService:
    return TemplateService(ctx.services.documents, CONSOLE_ACTOR, "console")


def _editable(template: dict[str, Any]) -> bool:
    content = template.get("content", {})
    return isinstance(content, dict) and "elements" not in content


def _preview(
    content: dict[str, Any], data: dict[str, Any]
) -> tuple[dict[str, Any] | None, PreviewError | None]:
    """The email of ``content`` with ``data``, through the sandbox; or where it failed."""
    if _editable({"content": content}):
        budget = templating.Budget()
        for part in PARTS:
            source = str(content.get(part, ""))
            try:
                templating.compile_template(source, budget=budget)
            except templating.TemplateError as exc:
                return None, _positioned(part, source, exc)
    try:
        return render_channel("email", content, data), None
    except RenderFailed as exc:
        cause = exc.__cause__
        if isinstance(cause, templating.TemplateError) and _editable({"content": content}):
            for part in PARTS:
                source = str(content.get(part, ""))
                try:
                    templating.render(source, data)
                except templating.TemplateError as inner:
                    return None, _positioned(part, source, inner)
        return None, PreviewError("content", str(exc).removeprefix("content: "))


def _positioned(part: str, source: str, exc: templating.TemplateError) -> PreviewError:
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    reason = str(exc)
    if line is not None:
        reason = reason.removeprefix(f"line {line}, column {column}: ")
        lines = source.splitlines() or [""]
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return PreviewError(part, reason, line, column, text)
    return PreviewError(part, reason)


def _syntax_error(fields: dict[str, str]) -> bool:
    budget = templating.Budget()
    try:
        for part in PARTS:
            templating.compile_template(fields[part], budget=budget)
    except templating.TemplateError:
        return True
    return False


def _template_page(
    signed: Signed,
    template: dict[str, Any],
    status: int = 200,
    form: dict[str, str] | None = None,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    content = template.get("content", {})
    editable = _editable(template)
    fields = form or {
        "title": str(content.get("title", "")) if editable else "",
        "body": str(content.get("body", "")) if editable else "",
        "data": "{}",
    }
    preview, problem = None, None
    if not error:
        try:
            data = _sample_data(fields.get("data", "{}"))
        except ValidationFailed as exc:
            error, status = _field_error(exc), 400
        else:
            shown = {**content, "title": fields["title"], "body": fields["body"]}
            preview, problem = _preview(shown if editable else content, data)
            if problem is not None and status == 200:
                status = 400 if form is not None else 200
    page = pages.render(
        "template.html",
        f"Template {template['id']}",
        workspace=signed.session.workspace,
        csrf=signed.csrf,
        stored=template,
        editable=editable,
        form=fields,
        preview=preview,
        problem=problem,
        notice=notice,
        error=error,
        elemental=content if not editable else None,
    )
    return _html(status, page)


def _sample_data(raw: str) -> dict[str, Any]:
    if len(raw.encode()) > MAX_SAMPLE_DATA:
        raise ValidationFailed.of("data", f"must be at most {MAX_SAMPLE_DATA // 1024} KiB")
    data = parse_json(raw or "{}", "data")
    if not isinstance(data, dict):
        raise ValidationFailed.of("data", "must be a JSON object")
    return data


@router.get(
    "/console/templates",
    summary="The workspace's templates, each linked to its page",
    tag=TAG,
    answers=(PAGE, TO_SIGN_IN),
    query=(Query("cursor", "the next page's cursor"),),
    public=True,
)
def template_list(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    found = _templates(ctx).find(signed.session.workspace, ctx.request.query.get("cursor") or None)
    more = found["paging"]["cursor"]
    page = pages.render(
        "templates.html",
        "Templates",
        workspace=signed.session.workspace,
        csrf=signed.csrf,
        templates=found["results"],
        next_page="/console/templates?" + urlencode({"cursor": more}) if more else "",
    )
    return _html(200, page)


SAVED = "The template was saved: sends of it use it from now on."


@router.get(
    "/console/templates/{template_id}",
    summary="A template in the console: its title and body, edited and previewed",
    tag=TAG,
    answers=(PAGE, Answer(404, None, "no such template in the workspace", raw=HTML), TO_SIGN_IN),
    query=(Query("notice", "what the last action did", enum=("saved",)),),
    public=True,
)
def template_page(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    try:
        template = _templates(ctx).get(signed.session.workspace, ctx.params["template_id"])
    except NotFound:
        return _notice(404, "No such template", "This workspace has no such template.", signed)
    notice = SAVED if ctx.request.query.get("notice") == "saved" else ""
    return _template_page(signed, template, notice=notice)


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    headers = {**SECURITY_HEADERS, "content-type": "application/json"}
    return HttpResponse(status, None, headers, raw=json.dumps(body).encode())


@router.post(
    "/console/templates/{template_id}/preview",
    summary="The template's preview as JSON, for the page's preview as the text is typed",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(200, None, "the email rendered in the sandbox, or where it stopped", raw=JSON),
        Answer(400, None, "a field is not valid, named", raw=JSON),
        Answer(404, None, "no such template in the workspace", raw=JSON),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    body_limit=FORM_LIMIT,
    public=True,
)
def live_preview(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, form = posted
    try:
        template = _templates(ctx).get(signed.session.workspace, ctx.params["template_id"])
    except NotFound:
        return _json(404, {"error": "This workspace has no such template."})
    fields = _fields(form)
    editable = _editable(template)
    try:
        if editable:
            _check_size(fields)
        data = _sample_data(fields["data"])
    except ValidationFailed as exc:
        return _json(400, {"error": _field_error(exc)})
    content = template["content"]
    if editable:
        content = {**content, "title": fields["title"], "body": fields["body"]}
    preview, problem = _preview(content, data)
    shown = preview or {}
    return _json(
        200,
        {
            "subject": shown.get("subject", ""),
            "text": shown.get("text", ""),
            "html": shown.get("html", ""),
            "problem": None
            if problem is None
            else {
                "part": problem.part,
                "reason": problem.reason,
                "line": problem.line,
                "column": problem.column,
                "sourceLine": problem.source_line,
                "caret": problem.caret if problem.line else "",
            },
        },
    )


def _fields(form: dict[str, str]) -> dict[str, str]:
    # A browser posts a textarea's line ends as CRLF (HTML's form encoding): kept as typed.
    return {name: form.get(name, "").replace("\r\n", "\n") for name in (*PARTS, "data")}


def _check_size(fields: dict[str, str]) -> None:
    if sum(len(fields[part].encode()) for part in PARTS) > MAX_TEMPLATE_BODY:
        raise ValidationFailed.of(
            "body", f"the title and body must be at most {MAX_TEMPLATE_BODY // 1024} KiB"
        )


@router.post(
    "/console/templates/{template_id}",
    summary="Previews a template's edited title and body with sample data, or saves them",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(200, None, "the preview, rendered in the sandbox", raw=HTML),
        Answer(303, None, "saved: to the template's page, saying so"),
        Answer(400, None, "a field is not valid, or the preview failed: in place, named", raw=HTML),
        Answer(404, None, "no such template in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    body_limit=FORM_LIMIT,
    public=True,
)
def edit_template(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, form = posted
    workspace, template_id = signed.session.workspace, ctx.params["template_id"]
    service = _templates(ctx)
    try:
        template = service.get(workspace, template_id)
    except NotFound:
        return _notice(404, "No such template", "This workspace has no such template.", signed)
    fields = _fields(form)
    if not _editable(template):
        return _template_page(signed, template, 400, fields, error=ELEMENTAL_NOT_EDITED)
    try:
        _check_size(fields)
    except ValidationFailed as exc:
        return _template_page(signed, template, 400, fields, error=_field_error(exc))
    if form.get("action") != "save" or _syntax_error(fields):
        # A preview; or a save the sandbox cannot parse: the error shown in place, unsaved.
        return _template_page(signed, template, 200, fields)
    stored = {
        key: value
        for key, value in template.items()
        if key not in ("id", "created", "updated", "content")
    }
    content = {**template["content"], "title": fields["title"], "body": fields["body"]}
    try:
        service.put(workspace, template_id, {**stored, "content": content})
    except ValidationFailed as exc:
        return _template_page(signed, template, 400, fields, error=_field_error(exc))
    return _redirect(f"/console/templates/{template_id}?notice=saved")


ELEMENTAL_NOT_EDITED = (
    "content: an Elemental template is edited through PUT /templates/{id}, not here."
)
