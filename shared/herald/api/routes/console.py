"""The operator console under ``/console``: sign in with a workspace's API key, then its
messages (the list with the API's filters, a message's timeline, providers and
rendered output, canceling one), a test send, the suppression list (lifting an
entry) and the event web.

The routes take no bearer key: each opens the session cookie itself
(``herald.console.sessions``) and reads and writes only the session's workspace,
through the same services as the API's routes. Every POST carries the form's
token; every answer carries the pages' security headers.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, Query
from herald.api.routes.messages import list_query
from herald.clock import now_ms
from herald.console import event_stats, pages, timing
from herald.console.cloud_monitoring import FiguresUnavailable
from herald.console.pages import SECURITY_HEADERS
from herald.console.sessions import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_FORM_TTL_S,
    BadSession,
    ConsoleSessions,
    Session,
    new_browser_nonce,
    read_cookie,
)
from herald.domain.status import PIPELINE_END, MessageStatus
from herald.errors import NotFound, ValidationFailed
from herald.events.registry import EVENTS
from herald.json_input import parse_json
from herald.observability.spanfile import MAX_TRACE_SPANS, RecentSpans
from herald.observability.spantree import format_ms
from herald.pipeline.customer_webhooks.deliveries import Deliveries, Delivery
from herald.publish.dead_letters import DeadLetter
from herald.publish.dead_letters import consumers as dead_letter_consumers
from herald.resources.suppressions import SuppressionList

router = Router()

TAG = "Console"
MAX_KEY_CHARS = 256
PAGE_SIZE = 50
# The list's filters the console's form offers, by the API's query names.
FILTERS = ("status", "recipient", "tag", "notification", "tenant_id")
TIME_FILTERS = ("from", "to")
MAX_TIME_CHARS = 40
HTML = "text/html"
JSON = "application/json"
SCRIPT = "text/javascript"
# The console's scripts, each a file of its own (the pages' policy runs no inline script).
SCRIPTS = {
    name: resources.files("herald.console").joinpath(f"static/{name}").read_bytes()
    for name in ("live.js", "template.js")
}
PAGE = Answer(200, None, "the page", raw=HTML)
TO_SIGN_IN = Answer(303, None, "not signed in (or the session expired): to the sign-in page")
REFUSED_FORM = Answer(403, None, "the form's token is missing or wrong: nothing changed", raw=HTML)
NOT_CONFIGURED = "The console needs HERALD_LINK_SECRET, which signs its sessions."


def _html(status: int, text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    answer = HttpResponse(status, None, {**SECURITY_HEADERS, **(headers or {})}, raw=text.encode())
    if server_timing := timing.header():
        answer.headers["server-timing"] = server_timing
    return answer


def _redirect(location: str, headers: dict[str, str] | None = None) -> HttpResponse:
    answer = HttpResponse(
        303, None, {**SECURITY_HEADERS, "location": location, **(headers or {})}, raw=b""
    )
    if server_timing := timing.header():
        answer.headers["server-timing"] = server_timing
    return answer


def _notice(status: int, title: str, text: str, signed_in: Signed | None = None) -> HttpResponse:
    page = pages.render(
        "notice.html",
        title,
        text=text,
        workspace=signed_in.session.workspace if signed_in else "",
        csrf=signed_in.csrf if signed_in else "",
    )
    return _html(status, page)


def _not_configured() -> HttpResponse:
    return _notice(404, "Console not configured", NOT_CONFIGURED)


@dataclasses.dataclass(frozen=True)
class Signed:
    sessions: ConsoleSessions
    session: Session
    csrf: str


def _signed_in(ctx: Context) -> Signed | HttpResponse:
    """The request's session, or the way to the sign-in page."""
    timing.start()
    sessions = ctx.services.console
    if sessions is None:
        return _not_configured()
    value = read_cookie(ctx.request.header("cookie"), SESSION_COOKIE)
    try:
        if not value:
            raise BadSession("no session")
        session = sessions.open(value)
    except BadSession:
        return _redirect("/console/sign-in")
    return Signed(sessions, session, sessions.csrf_token(session))


def _form_lists(ctx: Context) -> dict[str, list[str]]:
    """A url-encoded form's fields, every value of each (the route bounds its size)."""
    return parse_qs(ctx.request.body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _form(ctx: Context) -> dict[str, str]:
    """A url-encoded form's fields, the first value of each."""
    return {name: values[0] for name, values in _form_lists(ctx).items()}


def _posted(ctx: Context) -> tuple[Signed, dict[str, str]] | HttpResponse:
    """A signed-in form post whose token matches its session; otherwise the answer."""
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    form = _form(ctx)
    if not signed.sessions.check_csrf(signed.session, form.get("csrf", "")):
        return _notice(
            403,
            "Form refused",
            "This form's token is missing or out of date: nothing was changed. Reload the page "
            "and try again.",
            signed,
        )
    return signed, form


@router.get(
    "/console",
    summary="The console: to the messages, or to sign in",
    tag=TAG,
    answers=(Answer(303, None, "to the message list"),),
    public=True,
)
def home(ctx: Context) -> HttpResponse:
    return _redirect("/console/messages")


def _sign_in_page(sessions: ConsoleSessions, status: int, error: str = "") -> HttpResponse:
    nonce = new_browser_nonce()
    page = pages.render(
        "sign_in.html",
        "Sign in",
        csrf=sessions.sign_in_token(nonce),
        error=error,
        hours=f"{sessions.ttl_s / 3600:g}",
    )
    return _html(
        status,
        page,
        {"set-cookie": sessions.cookie(SIGN_IN_COOKIE, nonce, SIGN_IN_FORM_TTL_S)},
    )


@router.get(
    "/console/sign-in",
    summary="The console's sign-in form",
    tag=TAG,
    answers=(PAGE, Answer(303, None, "already signed in: to the message list")),
    public=True,
)
def sign_in_form(ctx: Context) -> HttpResponse:
    sessions = ctx.services.console
    if sessions is None:
        return _not_configured()
    if isinstance(_signed_in(ctx), Signed):
        return _redirect("/console/messages")
    return _sign_in_page(sessions, 200)


@router.post(
    "/console/sign-in",
    summary="Signs in with a workspace's API key: a session cookie, never the key",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "signed in: the session cookie, and to the message list"),
        Answer(401, None, "the key opens no workspace: the form again, saying so", raw=HTML),
        REFUSED_FORM,
    ),
    public=True,
)
def sign_in(ctx: Context) -> HttpResponse:
    sessions = ctx.services.console
    if sessions is None:
        return _not_configured()
    form = _form(ctx)
    nonce = read_cookie(ctx.request.header("cookie"), SIGN_IN_COOKIE) or ""
    if not sessions.check_sign_in(nonce, form.get("csrf", "")):
        return _sign_in_page(sessions, 403, "This form is out of date: sign in again.")
    key = form.get("key", "").strip()
    if not key or len(key) > MAX_KEY_CHARS:
        return _sign_in_page(
            sessions, 400, f"API key: give a key of 1 to {MAX_KEY_CHARS} characters."
        )
    workspace = ctx.services.workspace_for_key(key)
    if workspace is None:
        return _sign_in_page(sessions, 401, "API key: this key is not valid.")
    return _redirect(
        "/console/messages", {"set-cookie": sessions.session_cookie(sessions.issue(workspace))}
    )


@router.post(
    "/console/sign-out",
    summary="Ends the console session",
    tag=TAG,
    request_required=False,
    answers=(Answer(303, None, "the session cookie cleared: to the sign-in page"), REFUSED_FORM),
    public=True,
)
def sign_out(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, _ = posted
    return _redirect("/console/sign-in", {"set-cookie": signed.sessions.cleared_session_cookie()})


LIST_QUERY = (
    Query("status", "one status"),
    Query("recipient", "the recipient (user id, address)"),
    Query("tag", "a tag"),
    Query("notification", "the template sent"),
    Query("tenant_id", "the tenant sent for (context.tenant_id or to.tenant_id)"),
    Query("from", "enqueued at or after: YYYY-MM-DDTHH:MM, UTC"),
    Query("to", "enqueued at or before: YYYY-MM-DDTHH:MM, UTC"),
    Query("cursor", "the next page's cursor"),
)


@router.get(
    "/console/messages",
    summary="The console's message list, newest first, with the list API's filters",
    tag=TAG,
    answers=(
        PAGE,
        Answer(400, None, "a filter is not valid: the page, naming it", raw=HTML),
        TO_SIGN_IN,
    ),
    query=LIST_QUERY,
    public=True,
)
def message_list(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    listing = _listing(ctx, signed.session.workspace)
    page = pages.render(
        "messages.html",
        "Messages",
        workspace=signed.session.workspace,
        csrf=signed.csrf,
        statuses=[s.value for s in MessageStatus],
        filters={name: listing.given[name] for name in (*FILTERS, *TIME_FILTERS)},
        results=listing.results,
        error=listing.error,
        next_page=listing.next_page,
        # Only the newest page follows new messages: an older one stays as it was.
        live="" if listing.error or listing.given["cursor"] else _live_url(listing.chosen),
    )
    return _html(listing.status, page)


@router.get(
    "/console/live/messages",
    summary="The message list's first page as JSON, for the list's live updates",
    tag=TAG,
    answers=(
        Answer(200, None, "the newest messages that match, and when they were read", raw=JSON),
        Answer(400, None, "a filter is not valid, named", raw=JSON),
        TO_SIGN_IN,
    ),
    query=LIST_QUERY[:-1],
    public=True,
)
def live_message_list(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    listing = _listing(ctx, signed.session.workspace, first_page=True)
    rows = [
        {
            "id": m["id"],
            "status": m["status"],
            "recipient": m["recipient"],
            "notification": m["notification"],
            "tags": m["tags"],
            "enqueued": pages.when(m["enqueued"]),
            "lastEvent": m["lastEvent"],
        }
        for m in listing.results
    ]
    body = {"results": rows, "error": listing.error, "at": pages.when(now_ms())}
    headers = {**SECURITY_HEADERS, "content-type": "application/json"}
    if server_timing := timing.header():
        headers["server-timing"] = server_timing
    return HttpResponse(listing.status, None, headers, raw=json.dumps(body).encode())


@router.get(
    "/console/static/{script}",
    summary="The console's scripts: the list's live updates, the template's live preview",
    tag=TAG,
    answers=(
        Answer(200, None, "the script", raw=SCRIPT),
        Answer(404, None, "no such script", raw=HTML),
    ),
    public=True,
)
def script(ctx: Context) -> HttpResponse:
    source = SCRIPTS.get(ctx.params["script"])
    if source is None:
        return _notice(404, "No such script", "The console has no such script.")
    return HttpResponse(
        200, None, {**SECURITY_HEADERS, "content-type": f"{SCRIPT}; charset=utf-8"}, raw=source
    )


@dataclasses.dataclass(frozen=True)
class Listing:
    given: dict[str, str]  # every filter of the form, empty where not given
    chosen: dict[str, str]  # those given
    status: int
    error: str
    results: list[dict[str, Any]]
    next_page: str


def _listing(ctx: Context, workspace: str, first_page: bool = False) -> Listing:
    """The list's page of the request's filters, read as GET /messages reads them."""
    # An empty field of the form filters nothing.
    names = (*FILTERS, *TIME_FILTERS, "cursor")
    given = {name: ctx.request.query.get(name, "").strip() for name in names}
    if first_page:
        given["cursor"] = ""
    chosen = {name: value for name, value in given.items() if value}
    api_filters = {name: value for name, value in chosen.items() if name not in TIME_FILTERS}
    request = dataclasses.replace(
        ctx.request, query={**api_filters, "limit": str(PAGE_SIZE)}, query_lists={}
    )
    try:
        after, before = _time_range(chosen)
        query = dataclasses.replace(
            list_query(dataclasses.replace(ctx, request=request)),
            enqueued_after_ms=after,
            enqueued_before_ms=before,
        )
        listed = ctx.services.reader.list(workspace, query)
    except ValidationFailed as exc:
        return Listing(given, chosen, 400, _field_error(exc), [], "")
    next_page = ""
    if cursor := listed["paging"]["cursor"]:
        next_page = "/console/messages?" + urlencode(
            {**{k: v for k, v in chosen.items() if k != "cursor"}, "cursor": cursor}
        )
    return Listing(given, chosen, 200, "", listed["results"], next_page)


def _live_url(chosen: dict[str, str]) -> str:
    return "/console/live/messages?" + urlencode(chosen)


def _time_range(chosen: dict[str, str]) -> tuple[int | None, int | None]:
    """The form's from and to (UTC, both included) as the query's strict bounds."""
    start, end = _instant(chosen, "from"), _instant(chosen, "to")
    if start is not None and end is not None and end < start:
        raise ValidationFailed.of("to", "must not be before from")
    return (
        start - 1 if start is not None else None,
        end + 1 if end is not None else None,
    )


def _instant(chosen: dict[str, str], name: str) -> int | None:
    raw = chosen.get(name)
    if raw is None:
        return None
    try:
        if len(raw) > MAX_TIME_CHARS:
            raise ValueError(raw)
        at = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed.of(
            name, "must be a date and time, YYYY-MM-DDTHH:MM, in UTC"
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    return int(at.timestamp() * 1000)


NOTICES = {
    "canceled": "The message was canceled.",
    "too-late": "Too late to cancel: a provider has the message, or it has ended.",
    "replayed": "The webhook delivery was posted again: its newest attempt is listed.",
    "resent": "This is a resend: a new message, now, of the original's content to its recipient.",
}


@router.get(
    "/console/messages/{message_id}",
    summary="A message in the console: its timeline, providers' answers and rendered output",
    tag=TAG,
    answers=(PAGE, Answer(404, None, "no such message in the workspace", raw=HTML), TO_SIGN_IN),
    query=(Query("notice", "what the last action did", enum=tuple(NOTICES)),),
    public=True,
)
def message_page(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    workspace, message_id = signed.session.workspace, ctx.params["message_id"]
    try:
        # One read of the message for the whole page.
        details = ctx.services.reader.details(workspace, message_id)
    except NotFound:
        return _notice(404, "No such message", "This workspace has no such message.", signed)
    message, history, trace_id = details.message, details.history, details.trace_id
    project = ctx.services.cloud_project
    page = pages.render(
        "message.html",
        f"Message {message_id}",
        workspace=workspace,
        csrf=signed.csrf,
        message=message,
        history=history,
        trace_id=trace_id,
        waterfall=_waterfall(ctx, trace_id),
        cloud_trace=pages.cloud_trace_url(project, trace_id) if project and trace_id else "",
        cloud_logging=pages.cloud_logging_url(project, trace_id) if project and trace_id else "",
        attempts=details.attempts,
        deliveries=_webhook_deliveries(ctx, workspace, history),
        output=details.output,
        cancelable=message["status"] not in PIPELINE_END,
        notice=NOTICES.get(ctx.request.query.get("notice", ""), ""),
    )
    return _html(200, page)


def _waterfall(ctx: Context, trace_id: str | None) -> pages.Waterfall | None:
    traces = ctx.services.traces
    if traces is None or trace_id is None:
        return None
    return pages.waterfall(trace_id, traces.trace(trace_id, MAX_TRACE_SPANS), MAX_TRACE_SPANS)


def _webhook_deliveries(ctx: Context, workspace: str, history: dict[str, Any]) -> list[Delivery]:
    """What the workspace's endpoints were posted of the message's events."""
    endpoint_ids = [endpoint.id for endpoint in ctx.services.webhook_endpoints.all(workspace)]
    event_ids = [entry["eventId"] for entry in history["results"]]
    return Deliveries(ctx.services.documents).of_events(workspace, endpoint_ids, event_ids)


@router.post(
    "/console/messages/{message_id}/cancel",
    summary="Cancels a message from the console",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "back to the message, saying whether it was canceled"),
        Answer(404, None, "no such message in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def cancel(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, _ = posted
    message_id = ctx.params["message_id"]
    try:
        message = ctx.services.canceling.cancel(signed.session.workspace, message_id)
    except NotFound:
        return _notice(404, "No such message", "This workspace has no such message.", signed)
    notice = "canceled" if message.status == MessageStatus.CANCELED else "too-late"
    return _redirect(f"/console/messages/{message_id}?notice={notice}")


@router.post(
    "/console/messages/{message_id}/resend",
    summary="Resends a message from the console, as POST /messages/{message_id}/resend does",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "resent: to the new message's page"),
        Answer(400, None, "not resendable (a list send's record, a template gone)", raw=HTML),
        Answer(404, None, "no such message in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def resend(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, _ = posted
    try:
        resent = ctx.services.sending.resend(signed.session.workspace, ctx.params["message_id"])
    except NotFound:
        return _notice(404, "No such message", "This workspace has no such message.", signed)
    except ValidationFailed as exc:
        return _notice(400, "Not resent", _field_error(exc), signed)
    return _redirect(f"/console/messages/{resent}?notice=resent")


@router.post(
    "/console/messages/{message_id}/webhook-replay",
    summary="Posts one of the message's webhook deliveries again, from the console",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "posted: back to the message, saying so"),
        Answer(400, None, "the endpoint is disabled: the page, saying so", raw=HTML),
        Answer(404, None, "no such message, endpoint or delivery in the workspace", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def replay_webhook(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, form = posted
    workspace, message_id = signed.session.workspace, ctx.params["message_id"]
    endpoint_id, delivery_id = form.get("endpoint", ""), form.get("delivery", "")
    try:
        history = ctx.services.reader.history(workspace, message_id)
        # Only a delivery of this message's events: the form names nothing else.
        if not any(
            d.id == delivery_id and d.endpoint_id == endpoint_id
            for d in _webhook_deliveries(ctx, workspace, history)
        ):
            raise NotFound("no such delivery of the message")
        ctx.services.webhook_replays.replay(workspace, endpoint_id, delivery_id)
    except NotFound:
        return _notice(404, "No such delivery", "This message has no such delivery.", signed)
    except ValidationFailed as exc:
        return _notice(400, "Not replayed", _field_error(exc), signed)
    return _redirect(f"/console/messages/{message_id}?notice=replayed")


@router.get(
    "/console/events",
    summary="The event web: every event, its producers and consumers, the last hour on each edge",
    tag=TAG,
    answers=(PAGE, TO_SIGN_IN),
    public=True,
)
def event_web(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    until_ms = now_ms()
    since_ms = until_ms - event_stats.WINDOW_MS
    figures, counts, unavailable = ctx.services.event_figures, None, ""
    if figures is not None:
        try:
            counts = figures.counts(signed.session.workspace, since_ms, until_ms)
        except FiguresUnavailable as exc:
            unavailable = str(exc)
    page = pages.event_web_page(
        signed.session.workspace,
        signed.csrf,
        counts,
        since_ms,
        ctx.services.cloud_project or "",
        source=figures.source if figures is not None else "",
        unavailable=unavailable,
    )
    return _html(200, page)


def _recent_spans(ctx: Context, since_ms: int) -> RecentSpans | None:
    """The spans since ``since_ms`` from the trace store; None where it is not read."""
    traces = ctx.services.traces
    return traces.recent(since_ms * 1_000_000) if traces is not None else None


@router.get(
    "/console/functions/{function}",
    summary="A function of the event web: its failed spans of the last hour, its dead letters",
    tag=TAG,
    answers=(PAGE, Answer(404, None, "no such function", raw=HTML), TO_SIGN_IN),
    public=True,
)
def function_page(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    name, workspace = ctx.params["function"], signed.session.workspace
    produces = [spec.name for spec in EVENTS if name in spec.producers]
    consumes = [spec.name for spec in EVENTS if name in spec.consumers]
    if not produces and not consumes:
        return _notice(404, "No such function", "The event web has no such function.", signed)
    since_ms = now_ms() - event_stats.WINDOW_MS
    recent = _recent_spans(ctx, since_ms)
    letters = []
    if consumes:
        looked_at = ctx.services.dead_letters.peek(
            limit=DEAD_LETTERS_LOOKED_AT, workspace=workspace
        )
        letters = [letter for letter in looked_at if letter.consumer == name]
    page = pages.render(
        "function.html",
        f"Function {name}",
        workspace=workspace,
        csrf=signed.csrf,
        function=name,
        produces=produces,
        consumes=consumes,
        failures=(
            event_stats.recent_failures(recent, workspace, name) if recent is not None else None
        ),
        letters=letters,
        since_ms=since_ms,
        format_ms=format_ms,
        cloud_project=ctx.services.cloud_project,
    )
    return _html(200, page)


SUPPRESSION_NOTICES = {"lifted": "The suppression was lifted: sends to the address go out again."}


def _suppressions_page(
    ctx: Context, signed: Signed, status: int = 200, error: str = ""
) -> HttpResponse:
    cursor = ctx.request.query.get("cursor") or None
    listed = SuppressionList(ctx.services.documents).page(signed.session.workspace, cursor)
    more = listed["paging"]["cursor"]
    page = pages.render(
        "suppressions.html",
        "Suppressions",
        workspace=signed.session.workspace,
        csrf=signed.csrf,
        items=listed["items"],
        next_page="/console/suppressions?" + urlencode({"cursor": more}) if more else "",
        notice=SUPPRESSION_NOTICES.get(ctx.request.query.get("notice", ""), ""),
        error=error,
    )
    return _html(status, page)


@router.get(
    "/console/suppressions",
    summary="The workspace's suppressed addresses, each with a button that lifts it",
    tag=TAG,
    answers=(PAGE, TO_SIGN_IN),
    query=(
        Query("cursor", "the next page's cursor"),
        Query("notice", "what the last action did", enum=tuple(SUPPRESSION_NOTICES)),
    ),
    public=True,
)
def suppressions(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    return _suppressions_page(ctx, signed)


@router.post(
    "/console/suppressions/lift",
    summary="Lifts a suppression from the console",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "lifted: back to the list, saying so"),
        Answer(400, None, "not an address: the list, naming the field", raw=HTML),
        Answer(404, None, "the address is not suppressed: the list, saying so", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def lift_suppression(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, form = posted
    address = form.get("address", "")
    try:
        SuppressionList(ctx.services.documents).delete(signed.session.workspace, address)
    except ValidationFailed as exc:
        return _suppressions_page(ctx, signed, 400, _field_error(exc))
    except NotFound:
        return _suppressions_page(ctx, signed, 404, "address: it is not suppressed.")
    return _redirect("/console/suppressions?notice=lifted")


def _field_error(exc: ValidationFailed) -> str:
    """The first field at fault and why, as the API names it."""
    first = exc.errors[0] if exc.errors else None
    return f"{first.field}: {first.reason}" if first else str(exc)


def _send_page(signed: Signed, status: int, form: dict[str, str], error: str = "") -> HttpResponse:
    page = pages.render(
        "send.html",
        "Test send",
        workspace=signed.session.workspace,
        csrf=signed.csrf,
        form={name: form.get(name, "") for name in ("template", "email", "data")},
        error=error,
    )
    return _html(status, page)


@router.get(
    "/console/send",
    summary="The test send form: a template, an email address, sample data",
    tag=TAG,
    answers=(PAGE, TO_SIGN_IN),
    public=True,
)
def send_form(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    return _send_page(signed, 200, {"data": "{}"})


@router.post(
    "/console/send",
    summary="Sends a test message of a template, as POST /send does, then opens its page",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "accepted: to the message's page"),
        Answer(400, None, "a field is not valid: the form again, naming it", raw=HTML),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def send_test(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, form = posted
    try:
        data = parse_json(form.get("data") or "{}", "data")
        if not isinstance(data, dict):
            raise ValidationFailed.of("data", "must be a JSON object")
        message = {
            "to": {"email": form.get("email", "").strip()},
            "template": form.get("template", "").strip(),
            "data": data,
        }
        request_id = ctx.services.sending.send(signed.session.workspace, {"message": message})
    except ValidationFailed as exc:
        return _send_page(signed, 400, form, _field_error(exc))
    # One recipient: the message has the request's id.
    return _redirect(f"/console/messages/{request_id}")


# --- dead letters ---------------------------------------------------------------------------


def _dead_letters_page(
    signed: Signed, letters: list[DeadLetter], status: int = 200, notice: str = "", error: str = ""
) -> HttpResponse:
    by_consumer: dict[str, list[DeadLetter]] = {name: [] for name in dead_letter_consumers()}
    for letter in letters:
        by_consumer.setdefault(letter.consumer, []).append(letter)
    page = pages.render(
        "dead_letters.html",
        "Dead letters",
        workspace=signed.session.workspace,
        csrf=signed.csrf,
        by_consumer=by_consumer,
        limit=DEAD_LETTERS_LOOKED_AT,
        notice=notice,
        error=error,
    )
    return _html(status, page)


# The first letters of each dead-letter subscription looked at (the deployment's, every
# workspace's); the workspace's among them are shown.
DEAD_LETTERS_LOOKED_AT = 100


@router.get(
    "/console/dead-letters",
    summary="The workspace's dead letters per consumer: what a redrive would publish again",
    tag=TAG,
    answers=(PAGE, TO_SIGN_IN),
    query=(Query("redriven", "how many the last redrive published again"),),
    public=True,
)
def dead_letters(ctx: Context) -> HttpResponse:
    signed = _signed_in(ctx)
    if isinstance(signed, HttpResponse):
        return signed
    letters = ctx.services.dead_letters.peek(
        limit=DEAD_LETTERS_LOOKED_AT, workspace=signed.session.workspace
    )
    redriven = ctx.request.query.get("redriven", "")
    notice = (
        f"{int(redriven)} dead letter(s) published again to their topics."
        if redriven.isdigit() and len(redriven) <= 4
        else ""
    )
    return _dead_letters_page(signed, letters, notice=notice)


@router.post(
    "/console/dead-letters/redrive",
    summary="Redrives the dead letters a consumer's preview showed, to their topics",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "redriven: back to the dead letters, saying how many"),
        Answer(
            400, None, "no such consumer, or no event named: the page, naming the field", raw=HTML
        ),
        REFUSED_FORM,
        TO_SIGN_IN,
    ),
    public=True,
)
def redrive_dead_letters(ctx: Context) -> HttpResponse:
    posted = _posted(ctx)
    if isinstance(posted, HttpResponse):
        return posted
    signed, form = posted
    consumer = form.get("consumer", "")
    # The events the preview showed: only they are redriven, not what arrived since.
    event_ids = set(_form_lists(ctx).get("event", [])[:DEAD_LETTERS_LOOKED_AT])
    workspace = signed.session.workspace
    error = ""
    if consumer not in dead_letter_consumers():
        error = "consumer: not one of " + ", ".join(dead_letter_consumers())
    elif not event_ids:
        error = "event: name at least one dead letter to redrive"
    if error:
        letters = ctx.services.dead_letters.peek(limit=DEAD_LETTERS_LOOKED_AT, workspace=workspace)
        return _dead_letters_page(signed, letters, 400, error=error)
    redriven = ctx.services.dead_letters.redrive(
        consumer, DEAD_LETTERS_LOOKED_AT, workspace=workspace, event_ids=event_ids
    )
    return _redirect(f"/console/dead-letters?redriven={len(redriven)}")
