"""Courier's digest schedules API: a schedule's digests (one per user) and releasing them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from herald.domain.audience import SubscriptionTopic
from herald.domain.digest import DigestState
from herald.domain.message import MessageState
from herald.domain.send import check_identifier
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import iso
from herald.resources.preferences import topic_path
from herald.store.base import MessageRepository
from herald.store.documents import DocPath, DocumentStore

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# Topics read to find a schedule (a workspace's topics are few).
MAX_TOPICS_READ = 1000


def instance_path(schedule_id: str, record_id: str) -> DocPath:
    """The schedule's index of its digests: what lists and triggers them."""
    return ("digest_schedules", schedule_id, "instances", record_id)


def instances_collection(schedule_id: str) -> DocPath:
    return ("digest_schedules", schedule_id, "instances")


def check_schedule_exists(documents: DocumentStore, workspace: str, schedule_id: str) -> None:
    """NotFound unless a topic of the workspace has the schedule, or it still has digests
    (its topic's digest turned off since: what they hold stays reachable)."""
    for _, document in documents.page(workspace, ("topics",), None, MAX_TOPICS_READ):
        digest = SubscriptionTopic.model_validate(document).digest
        if digest and any(s.schedule_id == schedule_id for s in digest.schedules):
            return
    if documents.page(workspace, instances_collection(schedule_id), None, 1):
        return
    raise NotFound(f"no digest schedule {schedule_id}")


class ReleaseDigestBody(BaseModel):
    """``POST /preferences/sections/{section_id}/topics/{topic_id}/digest/release``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str
    # Courier keys a tenanted recipient's digest by its tenant too; Herald keeps one
    # digest per user and topic whatever the tenant, so it names no other digest.
    tenant_id: str | None = None

    _ids = field_validator("user_id", "tenant_id")(
        classmethod(lambda cls, v: v if v is None else check_identifier(v))
    )


def section_topic(
    documents: DocumentStore, workspace: str, section_id: str, topic_id: str
) -> SubscriptionTopic:
    """The topic of the section; NotFound for another section's or none."""
    check_identifier(topic_id)
    stored = documents.get(workspace, topic_path(topic_id))
    topic = SubscriptionTopic.model_validate(stored) if stored else None
    if topic is None or topic.section_id != section_id:
        raise NotFound(f"no topic {topic_id} in preference section {section_id}")
    return topic


def instance_view(record: MessageState, state: DigestState) -> dict[str, Any]:
    """Courier's ``DigestInstance``: the digest's open window (COMPLETED once released
    and nothing collected since)."""
    return {
        "digest_instance_id": f"{record.id}-{state.window}",
        "user_id": state.user_id,
        "event_count": state.count,
        "status": "IN_PROGRESS" if state.count else "COMPLETED",
        "created_at": iso(state.opened_ms or record.enqueued_ms),
        "disabled": False,
    }


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed.of("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


class DigestSchedules:
    """A schedule's digests, one per user, as Courier's instances."""

    def __init__(self, messages: MessageRepository, documents: DocumentStore) -> None:
        self.messages = messages
        self.documents = documents

    def instances(
        self, workspace: str, schedule_id: str, query: Mapping[str, str]
    ) -> dict[str, Any]:
        check_schedule_exists(self.documents, workspace, schedule_id)
        limit, cursor = _limit(query), query.get("cursor")
        page = self.documents.page(workspace, instances_collection(schedule_id), cursor, limit)
        records = self.messages.get_messages(workspace, [record_id for record_id, _ in page])
        more = len(page) == limit
        url = f"/digests/schedules/{schedule_id}/instances"
        next_cursor = page[-1][0] if more else None
        return {
            "type": "list",
            "url": url,
            "items": [instance_view(r, r.digest) for r in records if r.digest is not None],
            "has_more": more,
            "cursor": next_cursor,
            "next_url": f"{url}?cursor={next_cursor}" if more else None,
        }
