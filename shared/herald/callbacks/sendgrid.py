"""SendGrid's Signed Event Webhook, and its events as ``Feedback``.

SendGrid signs ``timestamp + body`` (the ``X-Twilio-Email-Event-Webhook-Timestamp``
header, then the raw request body, byte for byte) with ECDSA on P-256 and SHA-256;
``X-Twilio-Email-Event-Webhook-Signature`` is the base64 of the DER signature, and
the verification key shown in SendGrid's Mail Settings is the base64 of the DER
public key (SubjectPublicKeyInfo, no PEM armour). The body is a JSON array of
events; each carries the message's ``custom_args`` as top-level keys.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from herald.domain.feedback import Feedback, FeedbackKind
from herald.errors import ValidationFailed
from herald.json_input import parse_json
from herald.redaction import redact

if TYPE_CHECKING:  # loaded on the first SendGrid callback, not at the api's cold start
    from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
WORKSPACE_ARG = "herald_workspace"
MESSAGE_ARG = "herald_message_id"

_KINDS: dict[str, FeedbackKind] = {
    "delivered": "delivered",
    "open": "opened",
    "click": "clicked",
    "bounce": "bounced",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
}


def load_public_key(encoded: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER), or a PEM block."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    text = encoded.strip()
    if text.startswith("-----BEGIN"):
        text = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    key = load_der_public_key(base64.b64decode(text))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the SendGrid verification key is not an elliptic-curve public key")
    return key


def verify(key: ec.EllipticCurvePublicKey, body: bytes, signature: str, timestamp: str) -> bool:
    """Whether ``signature`` is SendGrid's over ``timestamp`` followed by ``body``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            timestamp.encode() + body,
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# SendGrid posts its events in batches of up to 768 KB.
MAX_EVENTS_BODY = 1024 * 1024


def events_of(body: bytes) -> list[dict[str, Any]]:
    events = parse_json(body)
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ValidationFailed.of("body", "must be a JSON array of event objects")
    return events


def feedback_of(workspace: str, event: dict[str, Any], index: int) -> Feedback | None:
    """The event as feedback, or None for what Herald does not track (processed, deferred,
    dropped, opens of another workspace's mail, events of mail Herald did not send)."""
    kind = _KINDS.get(str(event.get("event")))
    message_id = event.get(MESSAGE_ARG)
    if kind is None or not isinstance(message_id, str) or not message_id:
        return None
    if event.get(WORKSPACE_ARG) != workspace:
        return None  # signed by SendGrid, but about another workspace's mail
    event_id = event.get("sg_event_id")
    if not isinstance(event_id, str) or not event_id:
        raise ValidationFailed.of(f"[{index}].sg_event_id", "is missing")
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, int):
        raise ValidationFailed.of(f"[{index}].timestamp", "must be Unix seconds")
    # A bounce's reason quotes the receiving server, which often names the address.
    detail = event.get("url") if kind == "clicked" else event.get("reason")
    if detail and kind != "clicked":
        detail = redact(str(detail), [event.get("email")])
    return Feedback(
        workspace=workspace,
        message_id=message_id,
        kind=kind,
        at_ms=timestamp * 1000,
        source="sendgrid",
        source_id=event_id,
        channel="email",
        provider="sendgrid",
        detail=str(detail)[:500] if detail else None,
        suppress=_suppresses(kind, event),
    )


def _suppresses(kind: FeedbackKind, event: dict[str, Any]) -> bool | None:
    if kind == "bounced":
        # A "blocked" bounce refuses this message (a block list, content), not the address.
        return event.get("type") != "blocked"
    if kind == "unsubscribed":
        return True  # SendGrid's own unsubscribe: from everything this account sends
    return None
