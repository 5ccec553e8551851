"""Provider callbacks: public routes that check the provider's own signature.

``POST /callbacks/sendgrid/{workspace}`` takes SendGrid's Signed Event Webhook,
``POST /callbacks/twilio/{workspace}/status/{message_id}`` Twilio's message status
callbacks (the URL Herald gives as ``StatusCallback``), and
``POST /callbacks/twilio/{workspace}/inbound`` Twilio's inbound messages (STOP and
START). No signature is 401, a wrong one, a stale timestamp or a replay 403; each
refusal is counted (``callbacks.refused``).
"""

from __future__ import annotations

import time
import urllib.parse

from pydantic import BaseModel

from herald.api.http import Context, HttpResponse, Router, error_body
from herald.api.models import ErrorBody
from herald.api.operation import Answer, Operation
from herald.callbacks import sendgrid, twilio
from herald.callbacks.replay import SeenCallbacks
from herald.clock import now_ms
from herald.domain.suppression import SuppressionReason
from herald.errors import ValidationFailed
from herald.observability import metrics
from herald.resources.suppressions import SuppressionList

router = Router()


class CallbackReceipt(BaseModel):
    received: int  # events in the post
    applied: int  # of them, those that moved a message or the suppression list


OPERATIONS = (
    Operation(
        "POST",
        "/callbacks/sendgrid/{workspace}",
        "SendGrid's signed Event Webhook: delivered, opens, clicks, bounces, spam reports",
        "Callbacks",
        (
            Answer(200, CallbackReceipt, "taken"),
            Answer(400, ErrorBody, "not SendGrid's events: a body that is not JSON events"),
            Answer(401, ErrorBody, "unsigned"),
            Answer(403, ErrorBody, "a bad signature, a stale timestamp or a replay"),
        ),
        request_required=False,
        description="Signed with ECDSA P-256; no API key. See the README's receipts section.",
    ),
    Operation(
        "POST",
        "/callbacks/twilio/{workspace}/status/{message_id}",
        "Twilio's status callback of an SMS (X-Twilio-Signature)",
        "Callbacks",
        (
            Answer(200, None, "taken: empty TwiML", raw="text/xml"),
            Answer(401, ErrorBody, "unsigned"),
            Answer(403, ErrorBody, "a bad signature or a replay"),
        ),
        request_required=False,
    ),
    Operation(
        "POST",
        "/callbacks/twilio/{workspace}/inbound",
        "An SMS reply through Twilio: STOP opts the number out, START back in",
        "Callbacks",
        (
            Answer(200, None, "taken: empty TwiML", raw="text/xml"),
            Answer(401, ErrorBody, "unsigned"),
            Answer(403, ErrorBody, "a bad signature or a replay"),
        ),
        request_required=False,
    ),
)


def _refused(provider: str, why: str, status: int, message: str) -> HttpResponse:
    metrics.record_callback_refused(provider, why)
    return HttpResponse(status, error_body("authentication_error", message))


def _not_configured(what: str) -> HttpResponse:
    return HttpResponse(404, error_body("not_found", f"{what} callbacks are not configured"))


@router.route(
    "POST", "/callbacks/sendgrid/{workspace}", public=True, max_body=sendgrid.MAX_EVENTS_BODY
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
    if seen.seen(workspace, "sendgrid", signature):
        return _refused("sendgrid", "replayed", 403, "this request was taken before")
    events = sendgrid.events_of(request.body)
    reports = [sendgrid.feedback_of(workspace, event, i) for i, event in enumerate(events)]
    applied = sum(ctx.services.feedback.record(r) for r in reports if r is not None)
    seen.remember(workspace, "sendgrid", signature)
    return HttpResponse(200, {"received": len(events), "applied": applied})


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
    if SeenCallbacks(ctx.services.documents).seen(ctx.params["workspace"], "twilio", given):
        return {}, _refused("twilio", "replayed", 403, "this request was taken before")
    return params, None


def _called_url(ctx: Context) -> str:
    """The URL Twilio called (and signed): Herald's public URL, else the Host it reached."""
    base = ctx.services.callbacks.public_url
    if base is None:
        scheme = ctx.request.header("x-forwarded-proto") or "https"
        base = f"{scheme}://{ctx.request.header('host') or ''}"
    return base + ctx.request.path


def _twiml() -> HttpResponse:
    return HttpResponse(200, None, {"content-type": "text/xml"}, raw=twilio.EMPTY_TWIML)


@router.route("POST", "/callbacks/twilio/{workspace}/status/{message_id}", public=True)
def twilio_status(ctx: Context) -> HttpResponse:
    params, refusal = _twilio_params(ctx)
    if refusal is not None:
        return refusal
    workspace = ctx.params["workspace"]
    report = twilio.status_feedback(workspace, ctx.params["message_id"], params, now_ms())
    if report is not None:
        ctx.services.feedback.record(report)
    SeenCallbacks(ctx.services.documents).remember(
        workspace, "twilio", ctx.request.header(twilio.SIGNATURE_HEADER) or ""
    )
    return _twiml()


@router.route("POST", "/callbacks/twilio/{workspace}/inbound", public=True)
def twilio_inbound(ctx: Context) -> HttpResponse:
    params, refusal = _twilio_params(ctx)
    if refusal is not None:
        return refusal
    workspace = ctx.params["workspace"]
    sender = params.get("From", "")
    word = twilio.keyword(params.get("Body", ""))
    suppressions = SuppressionList(ctx.services.documents)
    if word == "stop":
        suppressions.add(
            workspace,
            sender,
            SuppressionReason.UNSUBSCRIBED,
            "twilio",
            detail=f"replied {params.get('Body', '').strip().upper()}",
        )
    elif word == "start":
        suppressions.opt_in(workspace, sender)
    SeenCallbacks(ctx.services.documents).remember(
        workspace, "twilio", ctx.request.header(twilio.SIGNATURE_HEADER) or ""
    )
    return _twiml()
