"""Twilio's request signature, and its message status callbacks and inbound messages.

Twilio signs each webhook with ``X-Twilio-Signature``: the full URL it called
(scheme, host, path and query, exactly as configured), then every POST parameter
sorted by name, each name followed by its value with no separator, HMAC-SHA1
with the account's auth token, base64. Status callbacks carry ``MessageSid``,
``MessageStatus`` and, for failures, ``ErrorCode``; inbound messages ``From``,
``Body`` and ``MessageSid``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from herald.domain.feedback import Feedback, FeedbackKind

SIGNATURE_HEADER = "X-Twilio-Signature"

# Error codes of an undelivered message that mean the number itself cannot take SMS
# (unknown, unreachable, a landline, invalid), as opposed to a refusal of one message.
PERMANENT_ERRORS = frozenset({"30003", "30005", "30006", "21211", "21614"})

# Twilio's own opt-out and opt-in keywords (Advanced Opt-Out defaults), case-insensitive.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(auth_token: str, url: str, params: Mapping[str, str], given: str) -> bool:
    return hmac.compare_digest(signature(auth_token, url, params), given)


def message_sid(params: Mapping[str, str]) -> str:
    """The id of the message a request is about (``SmsSid`` is its older name)."""
    return params.get("MessageSid") or params.get("SmsSid") or ""


def message_status(params: Mapping[str, str]) -> str:
    """The status a status callback reports (``SmsStatus`` is its older name)."""
    return params.get("MessageStatus") or params.get("SmsStatus") or ""


def status_feedback(
    workspace: str, message_id: str, params: Mapping[str, str], at_ms: int
) -> Feedback | None:
    """A status callback as feedback: delivered, or undelivered/failed as a bounce."""
    sid, status = message_sid(params), message_status(params)
    kind: FeedbackKind
    if status == "delivered":
        kind = "delivered"
    elif status in ("undelivered", "failed"):
        kind = "bounced"
    else:
        return None  # queued, sending, sent, ...: nothing new for Herald
    code = params.get("ErrorCode") or ""
    failure = f"twilio {status}" + (f": error {code}" if code else "")
    return Feedback(
        workspace=workspace,
        message_id=message_id,
        kind=kind,
        at_ms=at_ms,
        source="twilio",
        # One callback per status change: the same status again is the same report.
        source_id=f"{sid}:{status}",
        channel="sms",
        provider="twilio",
        detail=None if kind == "delivered" else failure,
        # Only a number that cannot take SMS at all is suppressed (21610, a STOP, arrives
        # as an inbound message and is suppressed there).
        suppress=code in PERMANENT_ERRORS if kind == "bounced" else None,
    )


def keyword(body: str) -> str | None:
    """``stop`` or ``start`` for Twilio's opt-out and opt-in keywords, else None."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None
