"""Provider callbacks: public routes that check the provider's own signature.

``POST /callbacks/sendgrid/{workspace}`` takes SendGrid's Signed Event Webhook,
``POST /callbacks/twilio/{workspace}/status/{message_id}`` Twilio's message status
callbacks (the URL Herald gives as ``StatusCallback``), and
``POST /callbacks/twilio/{workspace}/inbound`` Twilio's inbound messages (STOP and
START). No signature is 401, a wrong one, a stale timestamp or a replay 403; each
refusal is counted (``callbacks.refused``). What was taken before is never applied
again (``herald.callbacks.replay``).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable

from pydantic import BaseModel

from herald.api.http import Context, HttpResponse, Router, error_body
from herald.api.models import ErrorBody
from herald.api.operation import Answer
from herald.callbacks import replay, sendgrid, twilio
from herald.callbacks.replay import SeenCallbacks
from herald.clock import now_ms
from herald.domain.feedback import Feedback
from herald.domain.suppression import SuppressionReason
from herald.errors import ValidationFailed
from herald.observability import metrics
from herald.resources.suppressions import SuppressionList

router = Router()


class CallbackReceipt(BaseModel):
    received: int  # events in the post
    applied: int  # of them, those that moved a message or the suppression list


TAG = "Callbacks"
TWIML = Answer(200, None, "taken: empty TwiML", raw="text/xml")


def _refused(provider: str, why: str, status: int, message: str) -> HttpResponse:
    metrics.record_callback_refused(provider, why)
    return HttpResponse(status, error_body("authentication_error", message))


def _not_configured(what: str) -> HttpResponse:
    return HttpResponse(404, error_body("not_found", f"{what} callbacks are not configured"))


@router.post(
    "/callbacks/sendgrid/{workspace}",
    summary="SendGrid's signed Event Webhook: delivered, opens, clicks, bounces, spam reports",
    tag=TAG,
    description="Signed with ECDSA P-256; no API key. See the README's receipts section.",
    request_required=False,
    answers=(
        Answer(200, CallbackReceipt, "taken"),
        Answer(400, ErrorBody, "not SendGrid's events: a body that is not JSON events"),
        Answer(401, ErrorBody, "unsigned"),
        Answer(403, ErrorBody, "a bad signature, a stale timestamp or a replay"),
    ),
    public=True,
    body_limit=sendgrid.MAX_EVENTS_BODY,
)
def sendgrid_events(ctx: Context) -> HttpResponse:
    workspace = ctx.params["workspace"]
    settings = ctx.services.callbacks
    if not settings.sendgrid_public_key:
        return _not_configured("SendGrid")
    request = ctx.request
    signature = request.header(sendgrid.SIGNATURE_HEADER)
    timestamp = request.header(sendgrid.TIMESTAMP_HEADER)
    if not signature or not timestamp:
        return _refused("sendgrid", "unsigned", 401, "the request is not signed")
    key = sendgrid.load_public_key(settings.sendgrid_public_key)
    if not sendgrid.verify(key, request.body, signature, timestamp):
        return _refused("sendgrid", "bad_signature", 403, "the signature does not match")
    if not timestamp.isdigit():
        raise ValidationFailed.of(sendgrid.TIMESTAMP_HEADER, "must be Unix seconds")
    if abs(time.time() - int(timestamp)) > settings.tolerance_s:
        return _refused("sendgrid", "stale", 403, "the timestamp is too old (or in the future)")
    seen = SeenCallbacks(ctx.services.documents)
    taken = replay.sendgrid_request(timestamp, request.body)
    if not seen.claim(workspace, "sendgrid", taken, replay.SENDGRID_KEEP_MS):
        return _refused("sendgrid", "replayed", 403, "this request was taken before")
    try:
        events = sendgrid.events_of(request.body)
        reports = [sendgrid.feedback_of(workspace, event, i) for i, event in enumerate(events)]
        applied = sum(_apply_once(ctx, seen, workspace, r) for r in reports if r is not None)
    except Exception:
        seen.release(workspace, "sendgrid", taken)
        raise
    return HttpResponse(200, {"received": len(events), "applied": applied})


def _apply_once(ctx: Context, seen: SeenCallbacks, workspace: str, report: Feedback) -> bool:
    """A SendGrid event, unless one with its id was taken before (in any request)."""
    event = replay.sendgrid_event(report.source_id)
    if not seen.claim(workspace, "sendgrid", event, replay.SENDGRID_KEEP_MS):
        return False
    try:
        return ctx.services.feedback.record(report)
    except Exception:
        seen.release(workspace, "sendgrid", event)
        raise


def _twilio_params(ctx: Context) -> tuple[dict[str, str], HttpResponse | None]:
    """The POST parameters once the signature holds, else the refusal."""
    settings = ctx.services.callbacks
    if not settings.twilio_auth_token:
        return {}, _not_configured("Twilio")
    given = ctx.request.header(twilio.SIGNATURE_HEADER)
    if not given:
        return {}, _refused("twilio", "unsigned", 401, "the request is not signed")
    try:
        params = dict(urllib.parse.parse_qsl(ctx.request.body.decode(), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise ValidationFailed.of("body", "is not a form") from exc
    if not twilio.verify(settings.twilio_auth_token, _called_url(ctx), params, given):
        return {}, _refused("twilio", "bad_signature", 403, "the signature does not match")
    if not twilio.message_sid(params):
        raise ValidationFailed.of("MessageSid", "is missing")
    return params, None


def _once(ctx: Context, key: str, apply: Callable[[], object]) -> HttpResponse:
    """Applies a Twilio report unless it was taken before (in the last 90 days)."""
    seen, workspace = SeenCallbacks(ctx.services.documents), ctx.params["workspace"]
    if not seen.claim(workspace, "twilio", key, replay.TWILIO_KEEP_MS):
        return _refused("twilio", "replayed", 403, "this request was taken before")
    try:
        apply()
    except Exception:
        seen.release(workspace, "twilio", key)
        raise
    return _twiml()


def _called_url(ctx: Context) -> str:
    """The URL Twilio called (and signed): Herald's public URL, else the Host it reached."""
    base = ctx.services.callbacks.public_url
    if base is None:
        scheme = ctx.request.header("x-forwarded-proto") or "https"
        base = f"{scheme}://{ctx.request.header('host') or ''}"
    return base + ctx.request.path


def _twiml() -> HttpResponse:
    return HttpResponse(200, None, {"content-type": "text/xml"}, raw=twilio.EMPTY_TWIML)


@router.post(
    "/callbacks/twilio/{workspace}/status/{message_id}",
    summary="Twilio's status callback of an SMS (X-Twilio-Signature)",
    tag=TAG,
    request_required=False,
    answers=(
        TWIML,
        Answer(400, ErrorBody, "no MessageSid"),
        Answer(401, ErrorBody, "unsigned"),
        Answer(403, ErrorBody, "a bad signature, or a report taken in the last 90 days"),
    ),
    public=True,
)
def twilio_status(ctx: Context) -> HttpResponse:
    params, refusal = _twilio_params(ctx)
    if refusal is not None:
        return refusal
    workspace = ctx.params["workspace"]
    report = twilio.status_feedback(workspace, ctx.params["message_id"], params, now_ms())
    if report is None:
        return _twiml()  # queued, sending, sent: nothing to apply, nothing to remember
    key = replay.twilio_status(twilio.message_sid(params), twilio.message_status(params))
    return _once(ctx, key, lambda: ctx.services.feedback.record(report))


@router.post(
    "/callbacks/twilio/{workspace}/inbound",
    summary="An SMS reply through Twilio: STOP opts the number out, START back in",
    tag=TAG,
    request_required=False,
    answers=(
        TWIML,
        Answer(400, ErrorBody, "no MessageSid"),
        Answer(401, ErrorBody, "unsigned"),
        Answer(403, ErrorBody, "a bad signature, or a reply taken in the last 90 days"),
    ),
    public=True,
)
def twilio_inbound(ctx: Context) -> HttpResponse:
    params, refusal = _twilio_params(ctx)
    if refusal is not None:
        return refusal
    workspace = ctx.params["workspace"]
    sender = params.get("From", "")
    word = twilio.keyword(params.get("Body", ""))
    if word is None:
        return _twiml()  # an ordinary reply: nothing to apply, nothing to remember
    suppressions = SuppressionList(ctx.services.documents)

    def apply() -> None:
        if word == "stop":
            suppressions.add(
                workspace,
                sender,
                SuppressionReason.UNSUBSCRIBED,
                "twilio",
                detail=f"replied {params.get('Body', '').strip().upper()}",
            )
        else:
            suppressions.opt_in(workspace, sender)

    return _once(ctx, replay.twilio_inbound(twilio.message_sid(params)), apply)
