"""Courier's submission checks: the approval checks a review process records on a
submission of a template (``templates/{id}/submissions/{submission_id}``), each
resolved, failed or pending. Herald keeps and returns them; it gates nothing on them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from herald.clock import now_ms
from herald.domain.send import check_identifier
from herald.errors import NotFound
from herald.resources.parsing import parse_body
from herald.store.documents import DocPath, DocumentStore

MAX_CHECKS = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckBody(_Strict):
    id: Annotated[str, BeforeValidator(lambda v: check_identifier(v))]
    status: Literal["RESOLVED", "FAILED", "PENDING"]
    type: Literal["custom"]


class ChecksBody(_Strict):
    checks: list[CheckBody] = Field(max_length=MAX_CHECKS)


def _path(template_id: str, submission_id: str) -> DocPath:
    return ("templates", template_id, "submissions", submission_id)


class TemplateChecks:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def _template(self, workspace: str, template_id: str) -> None:
        if self.documents.get(workspace, ("templates", template_id)) is None:
            raise NotFound(f"no notification {template_id}")

    def replace(
        self, workspace: str, template_id: str, submission_id: str, body: Any
    ) -> dict[str, Any]:
        parsed = parse_body(ChecksBody, body)
        self._template(workspace, template_id)
        at = now_ms()
        checks = [{**check.model_dump(), "updated": at} for check in parsed.checks]
        self.documents.put(workspace, _path(template_id, submission_id), {"checks": checks})
        return {"checks": checks}

    def get(self, workspace: str, template_id: str, submission_id: str) -> dict[str, Any]:
        self._template(workspace, template_id)
        stored = self.documents.get(workspace, _path(template_id, submission_id))
        return {"checks": stored["checks"] if stored else []}

    def cancel(self, workspace: str, template_id: str, submission_id: str) -> None:
        self._template(workspace, template_id)
        if not self.documents.delete(workspace, _path(template_id, submission_id)):
            raise NotFound(f"no submission {submission_id} of notification {template_id}")
