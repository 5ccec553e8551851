"""Response bodies of the automations API, in Courier's shapes (its SDK's
``AutomationInvokeResponse``, ``AutomationTemplateListResponse``,
``AutomationRunListResponse`` and ``AutomationRunStepsResponse``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.domain.views import Paging


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AutomationInvoked(_View):
    """``202`` answer to both invokes."""

    run_id: str = Field(alias="runId")


class AutomationTemplateView(_View):
    id: str
    name: str
    version: Literal["published"]
    created_at: str | None = Field(alias="createdAt")
    updated_at: str | None = Field(alias="updatedAt")


class AutomationTemplateDetail(AutomationTemplateView):
    """``GET /automations/{template_id}``: the template with its steps."""

    automation: dict[str, Any]


class AutomationTemplatePage(_View):
    """``GET /automations``: ``cursor`` is the next page's, absent on the last."""

    templates: list[AutomationTemplateView]
    cursor: str | None


class AutomationRunStep(_View):
    step_id: str
    action: str
    status: Literal[
        "PENDING", "WAITING", "PROCESSED", "SKIPPED", "CANCELED", "ERROR", "THROTTLED", "BATCHED"
    ]
    message_id: str | None  # the message a send step made; a send-list step's list send
    run_id: str | None = None  # the run an invoke step started; the run a batch went on in
    created_at: str | None
    updated_at: str | None
    error: str | None = None
    outcome: str | None = None  # the way a branch or an experiment step took, and why
    skip_reason: str | None = None  # why a SKIPPED step did not run


class AutomationRunSteps(_View):
    """``GET /automations/runs/{run_id}/steps``."""

    steps: list[AutomationRunStep]


RunStatusName = Literal[
    "PROCESSING", "WAITING", "PROCESSED", "CANCELED", "ERROR", "THROTTLED", "BATCHED"
]


class AutomationRunItem(_View):
    run_id: str
    source: list[str]
    created_at: str | None
    status: RunStatusName
    template_id: str | None


class AutomationRunPage(_View):
    """``GET /automations/runs``: ``next_cursor`` (and ``paging.cursor``) the next page's."""

    runs: list[AutomationRunItem]
    next_cursor: str | None
    paging: Paging


class AutomationRunView(AutomationRunItem):
    """``GET /automations/runs/{run_id}``: the run, with each step's state."""

    updated_at: str | None
    cancelation_token: str | None
    reason: str | None
    parent_run_id: str | None  # the run whose invoke step started this one
    steps: list[AutomationRunStep]
