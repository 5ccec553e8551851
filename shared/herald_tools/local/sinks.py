"""Local catchers for what Herald sends: an SMTP server and HTTP endpoints.

Caught mail is kept in memory, written as ``.eml`` files, and listed as JSON at
``GET /mail``. Webhook deliveries POSTed to ``/webhooks/<anything>`` are listed
at ``GET /webhooks``; SMS sent through the Twilio Messages API under
``/twilio``, pushes through FCM HTTP v1 under ``/fcm`` and Slack incoming
webhooks to ``/slack/<anything>`` at ``GET /sms``, ``/push`` and ``/chat``; Slack Web
API posts (``chat.postMessage`` under ``/slack-api``, with ``users.lookupByEmail``
answering a user id made from the address) and Teams posts (the Bot Framework token and
Connector API under ``/msteams``) at ``GET /chat`` too; mail
sent through SendGrid's v3 Mail Send under ``/sendgrid`` at ``GET /sendgrid``.
``DELETE`` on a list clears it.

The stand-ins also call back, signed as the providers sign (see ``callbacks``):
``POST /callbacks/sendgrid`` with ``{"id", "event"}`` posts that Event Webhook
event about the SendGrid mail numbered ``id`` (``type`` and ``reason`` for a
bounce; ``n`` tells apart two events of one kind about one mail); ``POST /callbacks/twilio`` with
``{"id", "status"}`` (and ``error_code``) posts the SMS's status callback; and
``POST /callbacks/twilio/inbound`` with ``{"from", "body"}`` (and ``workspace``) a
reply to Herald.
Each answers with the status and body Herald gave.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import hashlib
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from aiosmtpd.controller import Controller
from werkzeug.wrappers import Request, Response

from herald.callbacks import sendgrid as sendgrid_signing
from herald.callbacks import twilio as twilio_signing
from herald_tools.local.serving import Served, raw_headers, raw_path
from herald_tools.local.signing import SendGridSigner

# The paths the real APIs use, under /twilio and /fcm, so the real adapters can call them.
_TWILIO = re.compile(r"^/twilio/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_FCM = re.compile(r"^/fcm/v1/projects/(?P<project>[^/]+)/messages:send$")
_SENDGRID = "/sendgrid/v3/mail/send"
_SLACK_POST = "/slack-api/chat.postMessage"
_SLACK_LOOKUP = "/slack-api/users.lookupByEmail"
_TEAMS_TOKEN = "/msteams/botframework.com/oauth2/v2.0/token"
_TEAMS_CONVERSATIONS = "/msteams/teams/v3/conversations"
_TEAMS_ACTIVITIES = re.compile(r"^/msteams/teams/v3/conversations/(?P<id>[^/]+)/activities$")
LOCAL_TEAMS_TOKEN = "teams-local-token"


@dataclass
class CallbackTargets:
    """Where the stand-ins call Herald back, and the secrets they sign with."""

    api_url: str
    workspace: str
    twilio_auth_token: str
    sendgrid: SendGridSigner = field(default_factory=SendGridSigner)


@dataclass
class Fault:
    """One injected answer: an HTTP status (with Retry-After), or silence after taking it."""

    status: int | None = None
    retry_after: int | None = None
    hang_s: float = 0.0  # take the request, then answer nothing for this long


@dataclass
class Faults:
    """Scripted answers, used in order, then random ones at the given rates."""

    script: list[Fault] = field(default_factory=list)
    rates: list[tuple[float, Fault]] = field(default_factory=list)
    random: Random = field(default_factory=lambda: Random(7))
    injected: dict[str, int] = field(default_factory=dict)

    def next(self) -> Fault | None:
        fault = self.script.pop(0) if self.script else None
        if fault is None:
            roll, bound = self.random.random(), 0.0
            for rate, candidate in self.rates:
                bound += rate
                if roll < bound:
                    fault = candidate
                    break
        if fault is not None:
            kind = "timeout" if fault.hang_s else str(fault.status)
            self.injected[kind] = self.injected.get(kind, 0) + 1
        return fault


@dataclass(frozen=True)
class _Taken:
    """A mail as the SMTP sink took it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    received_ms: int


def _parsed(number: int, taken: _Taken) -> dict[str, Any]:
    parsed = email.message_from_bytes(taken.raw, policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return {
        "id": number,
        "from": taken.mail_from,
        "to": taken.rcpt_tos,
        "subject": str(parsed["subject"] or ""),
        "text": _normalised(body.get_content()) if body is not None else "",
        "messageId": str(parsed["message-id"] or ""),
        "heraldMessageId": str(parsed["x-herald-message-id"] or ""),
        "html": html.get_content() if html is not None else "",
        "headers": {name: str(value) for name, value in parsed.items()},
        "receivedMs": taken.received_ms,
    }


@dataclass
class Inbox:
    mail_dir: Path | None = None
    # Each mail is parsed when first read, not as it arrives: parsing was most of the
    # sink's cost, and a benchmark's thousands of mails are only counted.
    _taken: list[_Taken] = field(default_factory=list)
    _mail: list[dict[str, Any]] = field(default_factory=list)
    # What the HTTP catchers received, by kind: webhooks, sms, push, chat.
    caught: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            kind: [] for kind in ("webhooks", "sms", "push", "chat", "sendgrid")
        }
    )
    # Reentrant: a reader holding it may read ``mail``, which takes it too.
    lock: threading.RLock = field(default_factory=threading.RLock)
    faults: dict[str, Faults] = field(
        default_factory=lambda: {
            k: Faults() for k in ("mail", "webhooks", "sms", "push", "chat", "sendgrid")
        }
    )

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        return self.caught["webhooks"]

    @property
    def mail(self) -> list[dict[str, Any]]:
        """Every mail taken, parsed, in the order taken."""
        with self.lock:
            for taken in self._taken[len(self._mail) :]:
                self._mail.append(_parsed(len(self._mail) + 1, taken))
            return self._mail

    @property
    def mail_count(self) -> int:
        with self.lock:
            return len(self._taken)

    def clear_mail(self) -> None:
        with self.lock:
            self._taken.clear()
            self._mail.clear()

    def add_mail(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        taken = _Taken(mail_from, list(rcpt_tos), raw, time.time_ns() // 1_000_000)
        with self.lock:
            self._taken.append(taken)
            number = len(self._taken)
        if self.mail_dir is not None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            (self.mail_dir / f"{number:06d}.eml").write_bytes(raw)

    def add(self, kind: str, path: str, headers: dict[str, str], body: Any) -> int:
        with self.lock:
            number = len(self.caught[kind]) + 1
            self.caught[kind].append(
                {
                    "id": number,
                    "path": path,
                    "headers": headers,
                    "body": body,
                    "receivedMs": time.time_ns() // 1_000_000,
                }
            )
            return number


def _kind_of(path: str) -> str | None:
    if path.startswith("/webhooks/"):
        return "webhooks"
    if _TWILIO.match(path):
        return "sms"
    if _FCM.match(path):
        return "push"
    if path.startswith(("/slack/", "/msteams/")) or path == _SLACK_POST:
        return "chat"
    if path == _SENDGRID:
        return "sendgrid"
    return None


def _slack_error(headers: dict[str, str]) -> str | None:
    """Slack's error for a Web API call without a bearer token, else None."""
    authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    return None if authorization.startswith("Bearer xox") else "not_authed"


def _slack_post(inbox: Inbox, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """chat.postMessage as Slack answers it: HTTP 200, ``ok`` true or an error code."""
    if error := _slack_error(headers):
        return {"ok": False, "error": error}
    message = _decoded(body)
    if not isinstance(message, dict) or not message.get("channel") or not message.get("text"):
        return {"ok": False, "error": "invalid_arguments"}
    number = inbox.add("chat", _SLACK_POST, headers, message)
    ts = f"1700000000.{number:06d}"
    return {"ok": True, "channel": message["channel"], "ts": ts, "message": {"ts": ts}}


def _slack_lookup(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """users.lookupByEmail: every address is a member, its id made from the address."""
    if error := _slack_error(headers):
        return {"ok": False, "error": error}
    emails = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).get("email", [])
    if len(emails) != 1:
        return {"ok": False, "error": "invalid_arguments"}
    digest = hashlib.sha256(emails[0].encode()).hexdigest()[:10].upper()
    return {"ok": True, "user": {"id": f"U{digest}"}}


def _teams_token(body: bytes) -> tuple[int, dict[str, Any]]:
    """Microsoft's client-credentials token for a bot: any app id and secret will do here."""
    form = dict(urllib.parse.parse_qsl(body.decode(errors="replace")))
    wanted = form.get("grant_type") == "client_credentials" and form.get("scope", "").startswith(
        "https://api.botframework.com/"
    )
    if not wanted or not form.get("client_id") or not form.get("client_secret"):
        return 400, {"error": "invalid_request"}
    return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": LOCAL_TEAMS_TOKEN}


def _teams_post(
    inbox: Inbox, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, Any]]:
    """The Connector API's create conversation and send to conversation, as Teams answers."""
    authorization = {k.lower(): v for k, v in headers.items()}.get("authorization")
    if authorization != f"Bearer {LOCAL_TEAMS_TOKEN}":
        return 401, {"message": "Authorization has been denied for this request."}
    sent = _decoded(body)
    if not isinstance(sent, dict):
        return 400, {"error": {"code": "BadSyntax", "message": "JSON expected"}}
    if activities := _TEAMS_ACTIVITIES.match(path):
        number = inbox.add("chat", path, headers, sent)
        return 201, {"id": f"1:{number}", "conversation": urllib.parse.unquote(activities["id"])}
    if "activity" in sent:  # a new post in a channel
        number = inbox.add("chat", path, headers, sent)
        channel = ((sent.get("channelData") or {}).get("channel") or {}).get("id", "")
        return 201, {"id": f"{channel};messageid={number}", "activityId": str(number)}
    members = sent.get("members") or [{}]
    return 201, {"id": f"a:local-{members[0].get('id', '')}"}


def _post_signed_form(
    targets: CallbackTargets, url: str, params: dict[str, str]
) -> tuple[int, Any]:
    signature = twilio_signing.signature(targets.twilio_auth_token, url, params)
    return _post(
        url,
        urllib.parse.urlencode(params).encode(),
        {
            "content-type": "application/x-www-form-urlencoded",
            twilio_signing.SIGNATURE_HEADER: signature,
        },
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _decoded(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _decoded(error.read())


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def _normalised(text: str) -> str:
    # SMTP carries CRLF line endings and a trailing newline; readers want the text.
    return text.replace("\r\n", "\n").rstrip("\n")


class _SmtpHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self.inbox.faults["mail"].next()
        if fault is not None and fault.status is not None:
            return f"{fault.status} injected fault"
        self.inbox.add_mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        if fault is not None and fault.hang_s:
            await asyncio.sleep(fault.hang_s)  # accepted, but the answer comes too late
        return "250 Message accepted for delivery"


class LocalSinks:
    def __init__(
        self,
        smtp_port: int,
        http_port: int,
        mail_dir: Path | None = None,
        callbacks: CallbackTargets | None = None,
    ) -> None:
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.inbox = Inbox(mail_dir)
        self.callbacks = callbacks
        self._smtp = Controller(_SmtpHandler(self.inbox), hostname="127.0.0.1", port=smtp_port)
        self._http = Served(_HttpSinks(self), http_port)
        self._smtp_running = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def call_back(self, path: str, order: Any) -> tuple[int, Any]:
        """Makes a stand-in post a signed callback to Herald; Herald's answer, or why not."""
        if self.callbacks is None:
            return 404, {"message": "no callback targets are configured"}
        if not isinstance(order, dict):
            return 400, {"message": "send a JSON object"}
        try:
            if path == "/callbacks/sendgrid":
                return self._sendgrid_event(self.callbacks, order)
            if path == "/callbacks/twilio":
                return self._twilio_status(self.callbacks, order)
            if path == "/callbacks/twilio/inbound":
                return self._twilio_inbound(self.callbacks, order)
        except (KeyError, IndexError, ValueError) as exc:
            return 400, {"message": f"bad order: {exc!r}"}
        return 404, {"message": "POST /callbacks/sendgrid, /callbacks/twilio or .../inbound"}

    def _caught(self, kind: str, number: int) -> dict[str, Any]:
        with self.inbox.lock:
            return next(c for c in self.inbox.caught[kind] if c["id"] == number)

    def _sendgrid_event(self, targets: CallbackTargets, order: dict[str, Any]) -> tuple[int, Any]:
        """One Event Webhook event about a caught mail, as SendGrid posts it (a batch of one)."""
        mail = self._caught("sendgrid", int(order["id"]))["body"]
        event = {
            "email": mail["personalizations"][0]["to"][0]["email"],
            "timestamp": int(time.time()),
            "event": order["event"],
            "sg_event_id": base64.urlsafe_b64encode(
                f"{order['event']}-{order['id']}-{order.get('n', 0)}".encode()
            ).decode(),
            "sg_message_id": f"sg-{int(order['id']):08d}.filter0001",
            **({"type": order["type"]} if "type" in order else {}),
            **({"reason": order["reason"]} if "reason" in order else {}),
            **mail.get("custom_args", {}),  # SendGrid echoes them as top-level keys
        }
        # SendGrid's bodies end in CRLF; the signature covers them byte for byte.
        body = json.dumps([event]).encode() + b"\r\n"
        timestamp = str(int(time.time()))
        workspace = event.get("herald_workspace", targets.workspace)
        return _post(
            f"{targets.api_url}/callbacks/sendgrid/{workspace}",
            body,
            {
                "content-type": "application/json",
                sendgrid_signing.TIMESTAMP_HEADER: timestamp,
                sendgrid_signing.SIGNATURE_HEADER: targets.sendgrid.sign(timestamp, body),
            },
        )

    def _twilio_status(self, targets: CallbackTargets, order: dict[str, Any]) -> tuple[int, Any]:
        """The status callback of a caught SMS, posted to the StatusCallback it was given."""
        caught = self._caught("sms", int(order["id"]))
        form = caught["body"]
        params = {
            "AccountSid": caught["path"].split("/")[4],
            "From": form.get("From", ""),
            "MessageSid": f"SM{int(order['id']):032x}",
            "MessageStatus": order["status"],
            "SmsSid": f"SM{int(order['id']):032x}",
            "SmsStatus": order["status"],
            "To": form["To"],
            "ApiVersion": "2010-04-01",
            **({"ErrorCode": str(order["error_code"])} if "error_code" in order else {}),
        }
        return _post_signed_form(targets, form["StatusCallback"], params)

    def _twilio_inbound(self, targets: CallbackTargets, order: dict[str, Any]) -> tuple[int, Any]:
        """A reply from a phone to Herald's number, as Twilio's incoming-message webhook."""
        params = {
            "AccountSid": "AClocal",
            "ApiVersion": "2010-04-01",
            "Body": order["body"],
            "From": order["from"],
            "MessageSid": f"SM{int(time.time_ns()):032x}",
            "NumMedia": "0",
            "To": order.get("to", "+15005550006"),
        }
        workspace = order.get("workspace", targets.workspace)
        url = f"{targets.api_url}/callbacks/twilio/{workspace}/inbound"
        return _post_signed_form(targets, url, params)

    def start(self) -> None:
        self._http.start()
        self._smtp.start()
        self._smtp_running = True

    def stop(self) -> None:
        # Only what started.
        if self._smtp_running:
            self._smtp.stop()
            self._smtp_running = False
        self._http.stop()


def _json(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload).encode(), status, content_type="application/json")


class _HttpSinks:
    """The HTTP catchers and the callback orders, as a WSGI app."""

    def __init__(self, sinks: LocalSinks) -> None:
        self.sinks = sinks
        self.inbox = sinks.inbox

    def __call__(self, environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        path = raw_path(environ)
        if request.method == "GET" and path.startswith(_SLACK_LOOKUP + "?"):
            response = _json(200, _slack_lookup(path, dict(raw_headers(environ))))
        elif request.method == "GET":
            response = self._list(path.strip("/"))
        elif request.method == "DELETE":
            response = self._clear(path.strip("/"))
        elif request.method == "POST":
            response = self._post(path, request.get_data(), dict(raw_headers(environ)))
        else:
            response = _json(405, {"message": "GET, DELETE or POST"})
        return response(environ, start)

    def _list(self, kind: str) -> Response:
        with self.inbox.lock:
            if kind == "mail":
                return _json(200, list(self.inbox.mail))
            if kind in self.inbox.caught:
                return _json(200, list(self.inbox.caught[kind]))
        return _json(404, {"message": "try /mail, /webhooks, /sms, /push or /chat"})

    def _clear(self, kind: str) -> Response:
        with self.inbox.lock:
            if kind == "mail":
                self.inbox.clear_mail()
            elif kind in self.inbox.caught:
                self.inbox.caught[kind].clear()
        return _json(200, {})

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        if path.startswith("/callbacks/"):
            return _json(*self.sinks.call_back(path, _decoded(body)))
        kind = _kind_of(path)
        fault = self.inbox.faults[kind].next() if kind else None
        if fault is not None and fault.status is not None:
            answer = _json(fault.status, {"message": "injected fault"})
            if fault.retry_after is not None:
                answer.headers["retry-after"] = str(fault.retry_after)
            return answer
        status, answer = self._take(path, body, headers)
        if fault is not None and fault.hang_s:
            # Taken, but the answer comes after the sender gave up: it cannot know.
            time.sleep(fault.hang_s)
        if kind == "sendgrid" and status == 202:
            return Response(b"", status, {"x-message-id": answer}, content_type="text/plain")
        if isinstance(answer, str):
            return Response(answer.encode(), status, content_type="text/plain")
        return _json(status, answer)

    def _take(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """Records a POST and returns the answer the real API would give."""
        inbox = self.inbox
        if path.startswith("/webhooks/"):
            inbox.add("webhooks", path, headers, _decoded(body))
            return 200, {"received": True}
        if twilio := _TWILIO.match(path):
            form = dict(urllib.parse.parse_qsl(body.decode()))
            number = inbox.add("sms", path, headers, form)
            sid = f"SM{number:032x}"
            return 201, {"sid": sid, "status": "queued", "account_sid": twilio["sid"]}
        if fcm := _FCM.match(path):
            number = inbox.add("push", path, headers, _decoded(body))
            return 200, {"name": f"projects/{fcm['project']}/messages/{number}"}
        if path.startswith("/slack/"):
            inbox.add("chat", path, headers, _decoded(body))
            return 200, "ok"
        if path == _SLACK_POST:
            return 200, _slack_post(inbox, headers, body)
        if path == _TEAMS_TOKEN:
            return _teams_token(body)
        if path == _TEAMS_CONVERSATIONS or _TEAMS_ACTIVITIES.match(path):
            return _teams_post(inbox, path, headers, body)
        if path == _SENDGRID:
            number = inbox.add("sendgrid", path, headers, _decoded(body))
            return 202, f"sg-{number:08d}"  # SendGrid's X-Message-Id
        return 404, {
            "message": "POST to /webhooks/<name>, /slack/<name>, or the Twilio, FCM, "
            "SendGrid and Teams paths under /twilio, /fcm, /sendgrid and /msteams"
        }
