"""Courier's audit events: the workspace's trail of key, provider and template changes."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, cursor
from herald.resources.audit_events import AuditLog

router = Router()
TAG = "Audit events"


def _audit(ctx: Context) -> AuditLog:
    return AuditLog(ctx.services.documents)


@router.get(
    "/audit-events",
    summary="List audit events",
    tag=TAG,
    description=(
        "Newest first: each API key created or revoked, each change of the workspace's"
        " providers (`herald keys`, `herald providers`), each template created, replaced"
        " or deleted. Entries are appended, never changed."
    ),
    answers=(Answer(200, d.AuditEventPage, "a page of audit events"),),
    query=(cursor("audit events"),),
)
def list_audit_events(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _audit(ctx).page(ctx.workspace, ctx.request.query.get("cursor")))


@router.get(
    "/audit-events/{audit_event_id}",
    summary="Get an audit event",
    tag=TAG,
    answers=(Answer(200, d.AuditEventView, "the audit event"),),
)
def get_audit_event(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _audit(ctx).get(ctx.workspace, ctx.params["audit_event_id"]))
