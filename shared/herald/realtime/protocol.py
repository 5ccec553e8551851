"""The wire protocol of Courier's inbox socket, as courier-js 3.x speaks it (wire version
``v1``, its ``CourierInboxSocket``).

The client opens ``<inbox.webSocket>?auth=<jwt>&cid=<connection id>&iwpv=v1&userId=<id>
&...``, then sends JSON envelopes ``{tid, action, data?}``: ``subscribe`` (``data.channel``
is the user, ``data.accountId`` an optional tenant), ``unsubscribe``, ``get-config``,
``ping`` and ``pong``. The server answers ``{tid, response}`` (``ack``, ``pong``, or
``config`` with ``{pingInterval, maxOutstandingPings}``, the interval in seconds) and tells
``{event, messageId, data?}``: ``message`` (with the new message as the GraphQL endpoint
lists it) or a change (``read``, ``unread``, ``opened``, ``archive``, ``unarchive``,
``clicked``, ...). A close with a code other than 1000 makes the client reconnect, after
the seconds a JSON reason's ``Retry-After`` names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

WIRE_VERSION = "v1"
CLIENT_ACTIONS = frozenset({"subscribe", "unsubscribe", "ping", "pong", "get-config"})
MAX_CLIENT_MESSAGE_BYTES = 4096
MAX_TID_CHARS = 64
# The client pings when it has heard nothing for this long, and reconnects after this
# many pings unanswered: a dead connection is noticed within a few minutes.
PING_INTERVAL_S = 30
MAX_OUTSTANDING_PINGS = 3

# Close codes (RFC 6455 7.4.1).
NORMAL = 1000
UNSUPPORTED_DATA = 1003  # not a JSON envelope of the client's
POLICY_VIOLATION = 1008  # no valid token, not the token's user, too many messages
TOO_BIG = 1009
TRY_AGAIN_LATER = 1013  # the instance or the user has as many sockets as allowed


@dataclass(frozen=True)
class Closing(Exception):
    """The connection ends with ``code``; ``retry_after_s`` tells the client when to come
    back (the reason's ``Retry-After``, which courier-js reads)."""

    code: int
    why: str
    retry_after_s: int | None = None

    def reason(self) -> str:
        if self.retry_after_s is None:
            return self.why[:120]
        return json.dumps({"Retry-After": str(self.retry_after_s), "message": self.why[:60]})


@dataclass(frozen=True)
class ClientMessage:
    tid: str
    action: str
    data: dict[str, Any] = field(default_factory=dict)


def parse_client_message(text: str | None) -> ClientMessage:
    """One envelope the client sends; anything else is a Closing (the socket is closed,
    nothing else happens)."""
    if text is None:
        raise Closing(UNSUPPORTED_DATA, "send text frames")
    if len(text.encode()) > MAX_CLIENT_MESSAGE_BYTES:
        raise Closing(TOO_BIG, f"a message is at most {MAX_CLIENT_MESSAGE_BYTES} bytes")
    try:
        envelope = json.loads(text)
    except ValueError as exc:
        raise Closing(UNSUPPORTED_DATA, "not JSON") from exc
    if not isinstance(envelope, dict):
        raise Closing(UNSUPPORTED_DATA, "not an envelope")
    tid, action, data = envelope.get("tid"), envelope.get("action"), envelope.get("data", {})
    if not isinstance(tid, str) or not tid or len(tid) > MAX_TID_CHARS:
        raise Closing(UNSUPPORTED_DATA, f"tid: a string of 1 to {MAX_TID_CHARS} characters")
    if action not in CLIENT_ACTIONS:
        raise Closing(UNSUPPORTED_DATA, f"action: {str(action)[:30]!r} is not the client's")
    if not isinstance(data, dict):
        raise Closing(UNSUPPORTED_DATA, "data: an object")
    return ClientMessage(tid, str(action), data)


def response(tid: str, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"tid": tid, "response": kind}
    if data is not None:
        answer["data"] = data
    return answer


def config_response(tid: str) -> dict[str, Any]:
    return response(
        tid,
        "config",
        {"pingInterval": PING_INTERVAL_S, "maxOutstandingPings": MAX_OUTSTANDING_PINGS},
    )


def message_event(
    event: str, message_id: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    told: dict[str, Any] = {"event": event, "messageId": message_id}
    if data is not None:
        told["data"] = data
    return told
