"""Stored automation templates, and automation runs as the API reads them.

Courier authors automation templates in its app; Herald stores them through
``PUT /automations/{template_id}``. A run's state lives on its record beside the
messages (``MessageState.automation``); the workspace's list of runs is an index of
their ids (``automation_runs/{run_id}``), written when a run is invoked.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from herald.clock import now_ms
from herald.domain.automation import AutomationRun, StepState
from herald.domain.message import MessageState
from herald.domain.send import check_identifier
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import iso, paging
from herald.store.base import MessageRepository
from herald.store.documents import DocumentStore

RUNS_PAGE = 20  # Courier's default page of runs
MAX_RUNS_PAGE = 50
TEMPLATES_PAGE = 100


RESERVED_IDS = frozenset({"invoke", "runs"})  # /automations/invoke, /automations/runs


def template_path(template_id: str) -> tuple[str, str]:
    return ("automations", template_id)


def runs_index_path(run_id: str) -> tuple[str, str]:
    """The run's entry in the workspace's list of runs."""
    return ("automation_runs", run_id)


class AutomationDefinition(BaseModel):
    """An automation's steps as Courier writes them; each step is checked by action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[dict[str, Any]]
    cancelation_token: str | None = None


class AutomationTemplateBody(BaseModel):
    """``PUT /automations/{template_id}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    automation: AutomationDefinition


def template_view(template_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """Courier's ``AutomationTemplate``."""
    return {
        "id": template_id,
        "name": stored["name"],
        "version": "published",
        "createdAt": iso(stored.get("created_ms")),
        "updatedAt": iso(stored.get("updated_ms")),
    }


class AutomationTemplates:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def put(
        self, workspace: str, template_id: str, name: str, steps: list[Any], token: str | None
    ) -> None:
        """Stores checked steps (``pipeline.automating.check_automation`` checked them)."""
        try:
            check_identifier(template_id)
        except ValueError as exc:
            raise ValidationFailed.of("template_id", str(exc)) from exc
        if template_id in RESERVED_IDS:
            raise ValidationFailed.of("template_id", f"{template_id!r} names a route of its own")
        at = now_ms()
        path = template_path(template_id)

        def stored(current: dict[str, Any] | None) -> dict[str, Any]:
            created = (current or {}).get("created_ms", at)
            return {
                "name": name,
                "steps": steps,
                "cancelation_token": token,
                "created_ms": created,
                "updated_ms": at,
            }

        self.documents.update(workspace, path, stored)

    def stored(self, workspace: str, template_id: str) -> dict[str, Any]:
        found = self.documents.get(workspace, template_path(template_id))
        if found is None:
            raise NotFound(f"no automation template {template_id}")
        return found

    def get(self, workspace: str, template_id: str) -> dict[str, Any]:
        stored = self.stored(workspace, template_id)
        automation: dict[str, Any] = {"steps": stored["steps"]}
        if stored.get("cancelation_token"):
            automation["cancelation_token"] = stored["cancelation_token"]
        return {**template_view(template_id, stored), "automation": automation}

    def find(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        page = self.documents.page(workspace, ("automations",), cursor, TEMPLATES_PAGE)
        more = len(page) == TEMPLATES_PAGE
        return {
            "templates": [template_view(doc_id, doc) for doc_id, doc in page],
            "cursor": page[-1][0] if more else None,
        }

    def delete(self, workspace: str, template_id: str) -> None:
        if not self.documents.delete(workspace, template_path(template_id)):
            raise NotFound(f"no automation template {template_id}")


def step_view(index: int, state: StepState) -> dict[str, Any]:
    """Courier's ``AutomationRunStep``, with the error of a step that failed."""
    return {
        "step_id": str(index),
        "action": state.action,
        "status": state.status.value,
        "message_id": state.message_id,
        "created_at": iso(state.started_ms),
        "updated_at": iso(state.updated_ms),
        **({"run_id": state.run_id} if state.run_id else {}),
        **({"error": state.error} if state.error else {}),
        **({"outcome": state.outcome} if state.outcome else {}),
        **({"skip_reason": state.skip_reason} if state.skip_reason else {}),
    }


def run_summary(record: MessageState, run: AutomationRun) -> dict[str, Any]:
    """Courier's ``AutomationRunListItem``."""
    return {
        "run_id": record.id,
        "source": [f"template:{run.template_id}" if run.template_id else "ad-hoc"],
        "created_at": iso(run.invoked_ms),
        "status": run.status.value,
        "template_id": run.template_id,
    }


class AutomationRuns:
    def __init__(self, messages: MessageRepository, documents: DocumentStore) -> None:
        self.messages = messages
        self.documents = documents

    def _run(self, workspace: str, run_id: str) -> tuple[MessageState, AutomationRun]:
        record = self.messages.get_message(workspace, run_id)
        if record is None or record.automation is None:
            raise NotFound(f"no automation run {run_id}")
        return record, record.automation

    def get(self, workspace: str, run_id: str) -> dict[str, Any]:
        record, run = self._run(workspace, run_id)
        return {
            **run_summary(record, run),
            "updated_at": iso(run.updated_ms),
            "cancelation_token": run.cancelation_token,
            "reason": run.reason,
            "parent_run_id": run.parent_run_id,
            "steps": [step_view(i, state) for i, state in enumerate(run.steps)],
        }

    def steps(self, workspace: str, run_id: str) -> dict[str, Any]:
        _, run = self._run(workspace, run_id)
        return {"steps": [step_view(i, state) for i, state in enumerate(run.steps)]}

    def find(self, workspace: str, cursor: str | None, limit: str | None) -> dict[str, Any]:
        size = int(limit) if limit and limit.isdigit() else RUNS_PAGE
        size = max(1, min(size, MAX_RUNS_PAGE))
        page = self.documents.page(workspace, ("automation_runs",), cursor, size)
        records = self.messages.get_messages(workspace, [run_id for run_id, _ in page])
        runs = [run_summary(r, r.automation) for r in records if r.automation is not None]
        return {
            "runs": runs,
            "next_cursor": page[-1][0] if len(page) == size else None,
            "paging": paging(page[-1][0] if len(page) == size else None),
        }
