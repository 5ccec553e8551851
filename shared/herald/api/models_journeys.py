"""Bodies of the journeys API, in Courier's shapes (its SDK's ``JourneyResponse``,
``JourneysListResponse``, ``JourneyVersionsListResponse``, ``CancelJourneyResponse``,
``JourneyRunListResponse``, ``JourneyRunResponse`` and ``JourneyRunStepsResponse``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.domain.journey import MAX_NAME_CHARS


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class JourneyBody(_View):
    """``POST /journeys`` and ``PUT /journeys/{template_id}``: nodes as Courier's
    ``JourneyNode`` (trigger ``api-invoke``, send with its experiment, delay, fetch,
    throttle, branch, add-to-digest, exit; each with its conditions)."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    nodes: list[dict[str, Any]]
    cancelation_token: str | None = None
    enabled: bool | None = None
    state: Literal["DRAFT", "PUBLISHED"] | None = None


class JourneyPublish(_View):
    """``POST /journeys/{template_id}/publish``: no version publishes the draft."""

    version: str | None = None


class JourneyInvoke(_View):
    """``POST /journeys/{template_id}/invoke``."""

    data: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    user_id: str | None = None


class JourneyCancel(_View):
    """``POST /journeys/cancel``: one of the two."""

    cancelation_token: str | None = None
    run_id: str | None = None


class JourneyView(_View):
    id: str
    name: str
    nodes: list[dict[str, Any]]
    cancelation_token: str | None
    enabled: bool
    state: Literal["DRAFT", "PUBLISHED"]
    created: int | None
    updated: int | None
    published: int | None
    creator: str | None
    updater: str | None


class JourneySummary(_View):
    id: str
    name: str
    version: Literal["published", "draft"]
    created_at: str | None = Field(alias="createdAt")
    updated_at: str | None = Field(alias="updatedAt")


class JourneyPage(_View):
    templates: list[JourneySummary]
    cursor: str | None


class JourneyVersion(_View):
    version: str
    name: str
    created: int | None
    published: int | None
    creator: str | None


class VersionPaging(_View):
    more: bool
    cursor: str | None


class JourneyVersions(_View):
    results: list[JourneyVersion]
    paging: VersionPaging


class JourneyInvoked(_View):
    run_id: str = Field(alias="runId")


class JourneyCanceled(_View):
    """By token: the token; by run id: the run's status after the cancel."""

    cancelation_token: str | None = None
    run_id: str | None = None
    status: str | None = None


class JourneyRunItem(_View):
    run_id: str
    source: list[str]
    created_at: str | None
    status: str
    template_id: str | None


class JourneyRunPage(_View):
    runs: list[JourneyRunItem]
    next_cursor: str | None


class JourneyRun(JourneyRunItem):
    updated_at: str | None


class JourneyRunAnswer(_View):
    run: JourneyRun


class JourneyStepError(_View):
    message: str


class JourneyRunStep(_View):
    action: str
    node_id: str | None
    status: str
    message_id: str | None
    created_at: str | None
    updated_at: str | None
    error: JourneyStepError | None
    skip_reason: str | None
    # Herald's own: the way a branch or an experiment took, and why.
    outcome: str | None = None


class JourneyRunSteps(_View):
    steps: list[JourneyRunStep]
