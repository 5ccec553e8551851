"""Bulk jobs in Courier's shape: a message, users added in pages, then one run.

A job is ``bulk_jobs/{job_id}`` (its message, how many users it received, and
once run the request its fan-out belongs to). Its users are kept a hundred to a
document, ``bulk_jobs/{job_id}/pages/{first index}``, in the order they were
added: the fan-out expands one such page per step, and a user's message id is
known from the page (so a user's status is read from the fan-out's cursor, not
written per user).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from herald.clock import now_ms
from herald.domain.send import ADDRESS_FIELDS, Recipient, check_identifier
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.ids import message_id_for
from herald.resources.parsing import parse_body
from herald.resources.validation import field_errors
from herald.store.documents import DocPath, Document, DocumentStore

MAX_JOB_USERS = 100_000
MAX_USERS_PER_CALL = 1000  # POST /bulk/{job_id}
USERS_PER_PAGE = 100  # users one stored page holds, and the fan-out makes per step
MAX_USER_BYTES = 8 * 1024  # one user as JSON: a page stays well within a document
# A call's users together: as much as any request takes (fewer users when larger).
MAX_BULK_BODY = 1024 * 1024
MAX_DEFINITION_BODY = 256 * 1024  # POST /bulk: a message, as much as a send's

JobStatus = Literal["CREATED", "PROCESSING", "COMPLETED", "ERROR"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BulkMessage(_Strict):
    """Courier's ``InboundBulkMessage``: ``event`` (here, a stored template's id) or
    ``template``, or ``content``; ``data`` and ``brand`` for every user."""

    event: str | None = None
    template: str | None = None
    content: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    brand: str | None = None

    _ids = field_validator("event", "template", "brand")(
        classmethod(lambda cls, v: check_identifier(v))
    )


class BulkJobBody(_Strict):
    message: BulkMessage


class BulkUser(_Strict):
    """Courier's ``InboundBulkMessageUser``: who (``recipient``, ``to``), their addresses
    (``profile``) and their own ``data``."""

    recipient: str | None = None
    to: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    data: dict[str, Any] | None = None

    _recipient = field_validator("recipient")(classmethod(lambda cls, v: check_identifier(v)))


class BulkUsersBody(_Strict):
    users: list[BulkUser] = Field(min_length=1, max_length=MAX_USERS_PER_CALL)


def job_path(job_id: str) -> DocPath:
    return ("bulk_jobs", job_id)


def pages_of(job_id: str) -> DocPath:
    return ("bulk_jobs", job_id, "pages")


def page_id(first_index: int) -> str:
    return f"{first_index:06d}"


def send_message(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The job's message as a send's ``message`` (without ``to``)."""
    message: dict[str, Any] = {}
    if definition.get("content") is not None:
        message["content"] = definition["content"]
    else:
        message["template"] = definition.get("template") or definition.get("event")
    if definition.get("data"):
        message["data"] = definition["data"]
    if definition.get("brand"):
        message["brand_id"] = definition["brand"]
    return message


def recipient_of(user: BulkUser) -> dict[str, Any]:
    """The send's recipient for one user: ``to``, the user id, the profile's addresses."""
    recipient: dict[str, Any] = dict(user.to or {})
    if user.recipient and "user_id" not in recipient:
        recipient["user_id"] = user.recipient
    for field in ADDRESS_FIELDS:
        if field in (user.profile or {}) and field not in recipient:
            recipient[field] = (user.profile or {})[field]
    if user.data:
        recipient["data"] = {**recipient.get("data", {}), **user.data}
    return recipient


def bulk_cursor(cursor: str | None) -> tuple[str | None, int | None]:
    """A bulk fan-out's cursor: the last page made (``"000100"``), or a page made in
    part and how many of its users (``"000100:40"``, when a message is large)."""
    if cursor is None or ":" not in cursor:
        return cursor, None
    key, made = cursor.split(":", 1)
    return key, int(made)


def _enqueued(page_key: str, position: int, expanded: str | None) -> bool:
    """Whether the fan-out, at cursor ``expanded``, has made the message of a page's user."""
    key, made = bulk_cursor(expanded)
    if key is None or page_key > key:
        return False
    return page_key < key or made is None or position < made


def bulk_message_id(request_id: str, index: int, recipient: Mapping[str, Any]) -> str:
    """The message a job's user at ``index`` gets (a user may be added twice)."""
    return message_id_for(request_id, {"bulk_index": index, **recipient})


def _checked_recipient(index: int, user: BulkUser) -> dict[str, Any]:
    recipient = recipient_of(user)
    field = f"users[{index}]"
    if len(json.dumps(recipient)) > MAX_USER_BYTES:
        raise ValidationFailed.of(field, f"is larger than {MAX_USER_BYTES} bytes as JSON")
    try:
        checked = Recipient.model_validate(recipient)
    except ValidationError as exc:
        errors = field_errors(exc, to_is_list=True)
        raise ValidationFailed(
            [
                FieldError(f"{field}.{e.field}" if e.field not in ("", "body") else field, e.reason)
                for e in errors
            ]
        ) from exc
    if checked.list_id or checked.audience_id or (checked.tenant_id and not checked.user_id):
        raise ValidationFailed.of(f"{field}.to", "names one user, not a list, tenant or audience")
    stored: dict[str, Any] = checked.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    return stored


class BulkService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def _stored(self, workspace: str, job_id: str) -> Document:
        stored = self.documents.get(workspace, job_path(job_id))
        if stored is None:
            raise NotFound(f"no bulk job {job_id}")
        return stored

    def get(self, workspace: str, job_id: str) -> Document:
        return self._stored(workspace, job_id)

    def create(self, workspace: str, body: Any, check: Callable[[dict[str, Any]], None]) -> str:
        """A new job; ``check`` refuses a message a send would refuse."""
        parsed = parse_body(BulkJobBody, body)
        definition = parsed.message.model_dump(mode="json", exclude_none=True)
        if not (parsed.message.event or parsed.message.template or parsed.message.content):
            raise ValidationFailed.of("message.event", "is required without template or content")
        check(send_message(definition))
        job_id = uuid.uuid4().hex
        at = now_ms()
        job = {
            "id": job_id,
            "definition": definition,
            "received": 0,
            "request_id": None,
            "created_ms": at,
            "updated_ms": at,
        }
        self.documents.put(workspace, job_path(job_id), job)
        return job_id

    def add_users(self, workspace: str, job_id: str, body: Any) -> None:
        parsed = parse_body(BulkUsersBody, body)
        recipients = [_checked_recipient(i, user) for i, user in enumerate(parsed.users)]
        first: list[int] = []

        def reserve(current: Document | None) -> Document:
            if current is None:
                raise NotFound(f"no bulk job {job_id}")
            if current.get("request_id"):
                raise ValidationFailed.of("job_id", f"job {job_id} has run: it takes no more users")
            received = int(current["received"])
            if received + len(recipients) > MAX_JOB_USERS:
                raise ValidationFailed.of(
                    "users", f"would bring job {job_id} past {MAX_JOB_USERS:,} users"
                )
            # Each call starts a page of its own: its users are numbered from here.
            start = int(current.get("next_index", 0))
            first[:] = [start]
            after = start + -(-len(recipients) // USERS_PER_PAGE) * USERS_PER_PAGE
            return {
                **current,
                "received": received + len(recipients),
                "next_index": after,
                "updated_ms": now_ms(),
            }

        self.documents.update(workspace, job_path(job_id), reserve)
        start = first[0]
        for offset in range(0, len(recipients), USERS_PER_PAGE):
            batch = recipients[offset : offset + USERS_PER_PAGE]
            page = {
                "users": [
                    {"index": start + offset + n, "recipient": recipient}
                    for n, recipient in enumerate(batch)
                ]
            }
            self.documents.put(workspace, (*pages_of(job_id), page_id(start + offset)), page)

    def mark_run(self, workspace: str, job_id: str, request_id: str) -> tuple[Document, bool]:
        """The job, now naming the request that runs it; False if it had run already."""
        started: list[bool] = [False]

        def run(current: Document | None) -> Document | None:
            if current is None:
                raise NotFound(f"no bulk job {job_id}")
            if current.get("request_id"):
                return None
            started[0] = True
            return {**current, "request_id": request_id, "updated_ms": now_ms()}

        stored = self.documents.update(workspace, job_path(job_id), run)
        assert stored is not None
        return stored, started[0]

    def users(
        self, workspace: str, job_id: str, cursor: str | None, expanded: str | None
    ) -> dict[str, Any]:
        """A page of the job's users with their status: ``expanded`` is the fan-out's
        cursor (the last page it made messages for), None before the run."""
        job = self._stored(workspace, job_id)
        found = self.documents.page(workspace, pages_of(job_id), cursor, 1)
        items = []
        for page_key, page in found:
            for position, user in enumerate(page.get("users") or []):
                done = _enqueued(page_key, position, expanded)
                recipient = user["recipient"]
                message_id = (
                    bulk_message_id(job["request_id"], user["index"], recipient) if done else None
                )
                items.append(
                    {
                        **_courier_user(recipient),
                        "status": "ENQUEUED" if done else "PENDING",
                        "messageId": message_id,
                    }
                )
        more = bool(found) and bool(
            self.documents.page(workspace, pages_of(job_id), found[-1][0], 1)
        )
        return {
            "items": items,
            "paging": {"cursor": found[-1][0] if more else None, "more": more},
        }


def _courier_user(recipient: Mapping[str, Any]) -> dict[str, Any]:
    """A stored recipient as Courier's ``InboundBulkMessageUser``."""
    to = {k: v for k, v in recipient.items() if k != "data"}
    return {
        "recipient": recipient.get("user_id"),
        "to": to or None,
        "data": recipient.get("data"),
        "profile": None,
        "preferences": None,
    }


def job_view(job: Document, fanout_status: str | None, created: int) -> dict[str, Any]:
    """Courier's ``BulkRetrieveJobResponse``."""
    status: JobStatus = "CREATED"
    if job.get("request_id"):
        status = {
            "FANNED_OUT": "COMPLETED",
            "UNDELIVERABLE": "ERROR",
        }.get(fanout_status or "", "PROCESSING")  # type: ignore[assignment]
    return {
        "job": {
            "definition": _courier_definition(job["definition"]),
            "enqueued": created,
            "failures": 0,
            "received": int(job["received"]),
            "status": status,
        }
    }


def _courier_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    # Courier's InboundBulkMessage requires an event: the template's id stands for it.
    return {"event": definition.get("event") or definition.get("template") or "", **definition}
