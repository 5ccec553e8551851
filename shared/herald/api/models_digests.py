"""Response bodies of the digest schedules API, in Courier's shapes (its SDK's
``DigestInstance`` and ``DigestInstanceListResponse``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DigestInstance(_View):
    """A user's digest on the schedule: its open window."""

    digest_instance_id: str
    user_id: str
    event_count: int
    status: Literal["IN_PROGRESS", "COMPLETED"]
    created_at: str | None
    disabled: bool


class DigestInstancePage(_View):
    type: Literal["list"]
    url: str
    items: list[DigestInstance]
    has_more: bool
    cursor: str | None
    next_url: str | None
