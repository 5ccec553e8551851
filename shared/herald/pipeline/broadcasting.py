"""Courier's broadcasts: one channel's message to a list or an audience, now or later.

A broadcast (``broadcasts/{id}``) owns a private template under its own id, in the one
template store (``resources.notifications``), whose draft its content is. Sending
publishes that draft and makes one send to the list or audience through the api's
send (``accepting``), which fans it out as any list send; scheduling is the same send
with Courier's ``delay.until``. The broadcast keeps the request's id, and its status
is read from that request's message: ``scheduled`` while it waits, ``sending`` while
it fans out, ``sent`` once every recipient has a message. Canceling a schedule cancels
that message (``canceling``), and the broadcast is a draft again.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from herald.clock import now_ms
from herald.domain.send import Delay, check_identifier
from herald.domain.status import MessageStatus
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.pipeline.accepting import SendService
from herald.pipeline.canceling import CancelService
from herald.resources.audiences import audience_path
from herald.resources.lists import ListService
from herald.resources.notifications import (
    DRAFT,
    ELEMENTAL_VERSION,
    NotificationService,
)
from herald.resources.parsing import PAGE_SIZE, iso, paging, parse_body
from herald.resources.validation import field_errors
from herald.store.base import MessageRepository
from herald.store.documents import DocPath, Document, DocumentStore

BROADCASTS = "broadcasts"
MAX_NAME_CHARS = 200
# An archived broadcast is left out of the list: a page reads at most this many.
MAX_SCANNED = 1000
# A send that stopped between taking the broadcast and making its request (an instance
# gone) frees it after this.
CLAIM_MS = 60_000
# Newest first by id: an id counts down from this as time goes on.
_LATEST_NS = 10**19 - 1

BroadcastChannel = Literal["email", "sms", "push", "inbox", "slack", "msteams"]
# Each of Courier's broadcast channels as a send routes it: Slack and Teams through their
# providers.
ROUTING_TARGETS: dict[str, str] = {
    "email": "email",
    "sms": "sms",
    "push": "push",
    "inbox": "inbox",
    "slack": "slack",
    "msteams": "msteams",
}
# Not yet sent: the message waits for its time (or for render to see that it must).
_WAITING = frozenset({MessageStatus.ENQUEUED, MessageStatus.DELAYED})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BroadcastCreate(_Strict):
    channel: BroadcastChannel
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)


class BroadcastRename(_Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)


class BroadcastSend(_Strict):
    recipient_id: str = Field(min_length=1, max_length=256)
    recipient_type: Literal["list", "audience"]


class BroadcastSchedule(BroadcastSend):
    # A wall-clock time ("2026-07-21T20:00:00") read in ``timezone`` (UTC without one).
    scheduled_to: str = Field(min_length=1, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)


def _path(broadcast_id: str) -> DocPath:
    return (BROADCASTS, broadcast_id)


def _new_id() -> str:
    return f"bst_{_LATEST_NS - time.time_ns():019d}{secrets.token_hex(4)}"


def _placeholder(channel: str) -> dict[str, Any]:
    # A template holds content from the start; a broadcast is not sent before it has its own.
    return {
        "version": ELEMENTAL_VERSION,
        "elements": [{"type": "text", "content": f"{channel} broadcast"}],
    }


class BroadcastService:
    def __init__(
        self,
        documents: DocumentStore,
        messages: MessageRepository,
        sending: SendService,
        canceling: CancelService,
    ) -> None:
        self.documents = documents
        self.messages = messages
        self.sending = sending
        self.canceling = canceling

    def _stored(self, workspace: str, broadcast_id: str) -> Document:
        stored = self.documents.get(workspace, _path(broadcast_id))
        if stored is None or "archived_ms" in stored:
            raise NotFound(f"no broadcast {broadcast_id}")
        return stored

    def _status(self, workspace: str, broadcast: Document) -> str:
        request_id = broadcast.get("request_id")
        if request_id is None:
            return "draft"
        message = self.messages.get_message(workspace, request_id)
        if message is None or message.status == MessageStatus.CANCELED:
            return "draft"
        if message.status in _WAITING:
            if message.not_before_ms is not None and now_ms() < message.not_before_ms:
                return "scheduled"
            return "sending"
        return "sent"

    def view(self, workspace: str, broadcast: Document) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": broadcast["id"],
            "name": broadcast["name"],
            "channel": broadcast["channel"],
            "status": self._status(workspace, broadcast),
            "created_at": iso(broadcast["created_ms"]),
            "created_by": broadcast["created_by"],
            "updated_at": iso(broadcast["updated_ms"]),
            "updated_by": broadcast["updated_by"],
        }
        if "schedule" in broadcast:
            shown["schedule"] = broadcast["schedule"]
        if "archived_ms" in broadcast:
            shown["archived_at"] = iso(broadcast["archived_ms"])
            shown["archived_by"] = broadcast["archived_by"]
        return shown

    def _template(self, actor: str) -> NotificationService:
        return NotificationService(self.documents, actor)

    def _created(
        self, workspace: str, actor: str, name: str, channel: str, content: Any, has_content: bool
    ) -> dict[str, Any]:
        at = now_ms()
        broadcast_id = _new_id()
        template: Document = {
            "id": broadcast_id,
            "name": name,
            "content": content,
            "channels": {},
            "locales": {},
            "tags": [],
            "created": at,
            "creator": actor,
            "updated": at,
            "updater": actor,
            "state": DRAFT,
            "broadcast": broadcast_id,
        }
        broadcast: Document = {
            "id": broadcast_id,
            "name": name,
            "channel": channel,
            "has_content": has_content,
            "created_ms": at,
            "created_by": actor,
            "updated_ms": at,
            "updated_by": actor,
        }
        self.documents.write_all(
            workspace,
            [(("templates", broadcast_id), template), (_path(broadcast_id), broadcast)],
            [],
        )
        return self.view(workspace, broadcast)

    def create(self, workspace: str, actor: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(BroadcastCreate, body)
        content = _placeholder(parsed.channel)
        return self._created(workspace, actor, parsed.name, parsed.channel, content, False)

    def get(self, workspace: str, broadcast_id: str) -> dict[str, Any]:
        return self.view(workspace, self._stored(workspace, broadcast_id))

    def _changed(
        self,
        workspace: str,
        broadcast: Document,
        actor: str,
        dropped: tuple[str, ...] = (),
        **fields: Any,
    ) -> Document:
        """The broadcast with ``fields`` set and ``dropped`` removed, atomically: a
        change made meanwhile (a send's request id) is kept."""

        def change(current: Document | None) -> Document | None:
            if current is None:
                return None
            kept = {k: v for k, v in current.items() if k not in dropped}
            return {**kept, **fields, "updated_ms": now_ms(), "updated_by": actor}

        changed = self.documents.update(workspace, _path(broadcast["id"]), change)
        if changed is None:
            raise NotFound(f"no broadcast {broadcast['id']}")
        return changed

    def _claim(self, workspace: str, broadcast: Document, status: str) -> str:
        """Takes the broadcast for one send, atomically: two sends at once make one."""
        token = secrets.token_hex(8)
        # A request id whose message was canceled elsewhere leaves the broadcast a draft.
        stale = broadcast.get("request_id") if status == "draft" else None

        def claim(current: Document | None) -> Document | None:
            if current is None or "archived_ms" in current:
                return None
            held = current.get("claim")
            if current.get("request_id") not in (None, stale) or (
                held is not None and held["until_ms"] > now_ms()
            ):
                return None  # another send has it
            return {**current, "claim": {"token": token, "until_ms": now_ms() + CLAIM_MS}}

        claimed = self.documents.update(workspace, _path(broadcast["id"]), claim)
        if claimed is None or claimed.get("claim", {}).get("token") != token:
            raise ValidationFailed.of("status", "is sending: another send has it")
        return token

    def _release(self, workspace: str, broadcast_id: str, token: str) -> None:
        def release(current: Document | None) -> Document | None:
            if current is None or current.get("claim", {}).get("token") != token:
                return None
            return {k: v for k, v in current.items() if k != "claim"}

        self.documents.update(workspace, _path(broadcast_id), release)

    def rename(self, workspace: str, actor: str, broadcast_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(BroadcastRename, body)
        stored = self._stored(workspace, broadcast_id)
        return self.view(workspace, self._changed(workspace, stored, actor, name=parsed.name))

    def find(self, workspace: str, cursor: str | None, limit: str | None) -> dict[str, Any]:
        size = PAGE_SIZE
        if limit is not None:
            if not limit.isdigit() or not 1 <= int(limit) <= PAGE_SIZE:
                raise ValidationFailed.of("limit", f"is a whole number from 1 to {PAGE_SIZE}")
            size = int(limit)
        results: list[dict[str, Any]] = []
        after, scanned, exhausted = cursor, 0, False
        while len(results) < size and scanned < MAX_SCANNED and not exhausted:
            page = self.documents.page(workspace, (BROADCASTS,), after, size)
            exhausted = len(page) < size
            for index, (doc_id, broadcast) in enumerate(page):
                after, scanned = doc_id, scanned + 1
                if "archived_ms" not in broadcast:
                    results.append(self.view(workspace, broadcast))
                if len(results) == size:
                    exhausted = exhausted and index == len(page) - 1
                    break
        return {"results": results, "paging": paging(None if exhausted else after)}

    def archive(self, workspace: str, actor: str, broadcast_id: str) -> dict[str, Any]:
        stored = self._stored(workspace, broadcast_id)
        if self._status(workspace, stored) == "scheduled":
            stored = self._unscheduled(workspace, actor, stored)
        archived = self._changed(workspace, stored, actor, archived_ms=now_ms(), archived_by=actor)
        return self.view(workspace, archived)

    def _unscheduled(self, workspace: str, actor: str, broadcast: Document) -> Document:
        message = self.canceling.cancel(workspace, broadcast["request_id"])
        if message.status != MessageStatus.CANCELED:
            raise ValidationFailed.of("status", "the broadcast is already sending")
        return self._changed(workspace, broadcast, actor, dropped=("request_id", "schedule"))

    def cancel(self, workspace: str, actor: str, broadcast_id: str) -> dict[str, Any]:
        stored = self._stored(workspace, broadcast_id)
        status = self._status(workspace, stored)
        if status != "scheduled":
            raise ValidationFailed.of("status", f"is {status}: only a scheduled broadcast cancels")
        return self.view(workspace, self._unscheduled(workspace, actor, stored))

    def duplicate(self, workspace: str, actor: str, broadcast_id: str) -> dict[str, Any]:
        stored = self._stored(workspace, broadcast_id)
        content = self._template(actor).working_content(workspace, broadcast_id)
        name = f"{stored['name']} (copy)"[:MAX_NAME_CHARS]
        return self._created(
            workspace, actor, name, stored["channel"], content, stored["has_content"]
        )

    def put_content(
        self, workspace: str, actor: str, broadcast_id: str, body: Any
    ) -> dict[str, Any]:
        stored = self._stored(workspace, broadcast_id)
        status = self._status(workspace, stored)
        if status in ("sending", "sent"):
            raise ValidationFailed.of("status", f"is {status}: its content is what was sent")
        changed = self._template(actor).put_content(workspace, broadcast_id, body)
        if not stored["has_content"]:
            self._changed(workspace, stored, actor, has_content=True)
        return changed

    def retrieve_content(
        self, workspace: str, broadcast_id: str, version: str | None
    ) -> dict[str, Any]:
        self._stored(workspace, broadcast_id)
        return self._template("").retrieve_content(workspace, broadcast_id, version or "draft")

    def send(self, workspace: str, actor: str, broadcast_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(BroadcastSend, body)
        return self._send(workspace, actor, broadcast_id, parsed, None)

    def schedule(self, workspace: str, actor: str, broadcast_id: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(BroadcastSchedule, body)
        delay = {"until": parsed.scheduled_to, "timezone": parsed.timezone or "UTC"}
        try:
            moment = Delay.model_validate(delay).moment()
        except ValidationError as exc:
            renamed = {"until": "scheduled_to", "timezone": "timezone"}
            raise ValidationFailed(
                [
                    FieldError(renamed.get(error.field, error.field), error.reason)
                    for error in field_errors(exc, to_is_list=False)
                ]
            ) from None
        if moment is not None and moment.timestamp() * 1000 <= now_ms():
            raise ValidationFailed.of("scheduled_to", "is not in the future")
        return self._send(workspace, actor, broadcast_id, parsed, delay)

    def _send(
        self,
        workspace: str,
        actor: str,
        broadcast_id: str,
        target: BroadcastSend,
        delay: dict[str, Any] | None,
    ) -> dict[str, Any]:
        stored = self._stored(workspace, broadcast_id)
        status = self._status(workspace, stored)
        if status != "draft":
            raise ValidationFailed.of("status", f"is {status}: only a draft broadcast is sent")
        if not stored["has_content"]:
            raise ValidationFailed.of(
                "content", "the broadcast has none yet: PUT /broadcasts/{broadcast_id}/content"
            )
        self._check_recipient(workspace, target)
        token = self._claim(workspace, stored, status)
        try:
            request_id = self._send_once(workspace, actor, stored, target, delay)
        except BaseException:
            self._release(workspace, broadcast_id, token)
            raise
        schedule: dict[str, Any] = {
            "recipient_id": target.recipient_id,
            "recipient_type": target.recipient_type,
        }
        if delay is not None:
            schedule.update(scheduled_to=delay["until"], timezone=delay["timezone"])
        sent = self._changed(
            workspace, stored, actor, ("claim",), request_id=request_id, schedule=schedule
        )
        return self.view(workspace, sent)

    def _send_once(
        self,
        workspace: str,
        actor: str,
        broadcast: Document,
        target: BroadcastSend,
        delay: dict[str, Any] | None,
    ) -> str:
        """Publishes the broadcast's content and sends it: the request's id."""
        broadcast_id = broadcast["id"]
        self._template(actor).publish(workspace, broadcast_id, None)
        to_key = "list_id" if target.recipient_type == "list" else "audience_id"
        message: dict[str, Any] = {
            "to": {to_key: target.recipient_id},
            "template": broadcast_id,
            "routing": {"method": "single", "channels": [ROUTING_TARGETS[broadcast["channel"]]]},
            "metadata": {"tags": ["broadcast"]},
        }
        if delay is not None:
            message["delay"] = delay
        return self.sending.send(workspace, {"message": message})

    def _check_recipient(self, workspace: str, target: BroadcastSend) -> None:
        try:
            check_identifier(target.recipient_id)
        except ValueError as exc:
            raise ValidationFailed.of("recipient_id", str(exc)) from None
        if target.recipient_type == "list":
            try:
                ListService(self.documents).get(workspace, target.recipient_id)
            except NotFound:
                raise ValidationFailed.of(
                    "recipient_id", f"no list {target.recipient_id!r} in this workspace"
                ) from None
        elif self.documents.get(workspace, audience_path(target.recipient_id)) is None:
            raise ValidationFailed.of(
                "recipient_id", f"no audience {target.recipient_id!r} in this workspace"
            )
