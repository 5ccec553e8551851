"""Stored journeys (a draft and its published versions), and journey runs as the API reads
them.

A journey is one document (``journeys/{id}``) holding its draft (its nodes, and the
steps they stand for) and which version is published; each publish stores the draft as
a version of its own (``journeys/{id}/versions/{n}``), never changed after, so a run
follows the version it was invoked on and a rollback publishes an earlier one again.
A journey run is an automation run (``MessageState.automation`` with its
``journey_id``); the workspace's list of journey runs is an index of their ids
(``journey_runs/{run_id}``), written when a run is invoked.
"""

from __future__ import annotations

import uuid
from typing import Any

from herald.clock import now_ms
from herald.domain.automation import AutomationRun, StepState, StepStatus
from herald.domain.journey import NODE_OF_ACTION
from herald.domain.message import MessageState
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import iso
from herald.store.base import MessageRepository
from herald.store.documents import Document, DocumentStore

MAX_VERSIONS = 100  # a journey's published versions, all listed on one page
JOURNEYS_PAGE = 100
RUNS_PAGE = 20  # Courier's default page of runs
MAX_RUNS_PAGE = 50


def journey_path(journey_id: str) -> tuple[str, str]:
    return ("journeys", journey_id)


def version_path(journey_id: str, number: int) -> tuple[str, str, str, str]:
    # Zero-padded: versions page by id in the order they were published.
    return ("journeys", journey_id, "versions", f"{number:06d}")


def journey_runs_index_path(run_id: str) -> tuple[str, str]:
    return ("journey_runs", run_id)


def version_name(number: int) -> str:
    return f"v{number}"


def version_number(name: str, field: str) -> int:
    """``vN`` read as N; a 400 naming ``field`` otherwise."""
    digits = name.removeprefix("v")
    if not name.startswith("v") or not digits.isascii() or not digits.isdigit():
        raise ValidationFailed.of(field, f"must be draft, published or vN (got {name[:64]!r})")
    return int(digits)


def journey_view(journey_id: str, stored: Document, shown: Document) -> dict[str, Any]:
    """Courier's ``JourneyResponse``: the journey, with the nodes of ``shown`` (its draft,
    or a version)."""
    return {
        "id": journey_id,
        "name": shown["name"],
        "nodes": shown["nodes"],
        "cancelation_token": shown.get("cancelation_token"),
        "enabled": bool(stored.get("enabled", True)),
        "state": "PUBLISHED" if stored.get("published") else "DRAFT",
        "created": stored.get("created_ms"),
        "updated": shown.get("updated_ms", stored.get("updated_ms")),
        "published": shown.get("published_ms"),
        "creator": None,
        "updater": None,
    }


class JourneyTemplates:
    """The journeys of a workspace: drafts checked by the caller
    (``pipeline.journeys``), stored here with their versions."""

    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def create(self, workspace: str, draft: Document, enabled: bool) -> str:
        journey_id = uuid.uuid4().hex
        at = now_ms()
        stored = {
            "draft": {**draft, "updated_ms": at},
            "enabled": enabled,
            "published": None,
            "versions": 0,
            "archived": False,
            "created_ms": at,
            "updated_ms": at,
        }
        self.documents.put(workspace, journey_path(journey_id), stored)
        return journey_id

    def stored(self, workspace: str, journey_id: str) -> Document:
        found = self.documents.get(workspace, journey_path(journey_id))
        if found is None or found.get("archived"):
            raise NotFound(f"no journey {journey_id}")
        return found

    def replace_draft(
        self, workspace: str, journey_id: str, draft: Document, enabled: bool | None
    ) -> None:
        self.stored(workspace, journey_id)
        at = now_ms()

        def replaced(current: Document | None) -> Document | None:
            if current is None or current.get("archived"):
                return None
            token = draft.get("cancelation_token", current["draft"].get("cancelation_token"))
            changed = {**current, "updated_ms": at}
            changed["draft"] = {**draft, "cancelation_token": token, "updated_ms": at}
            if enabled is not None:
                changed["enabled"] = enabled
            return changed

        self.documents.update(workspace, journey_path(journey_id), replaced)

    def publish(self, workspace: str, journey_id: str, version: str | None) -> None:
        """The draft as a new version, published; or ``vN`` published again."""
        stored = self.stored(workspace, journey_id)
        if version is not None:
            number = version_number(version, "version")
            if not 1 <= number <= int(stored.get("versions", 0)):
                raise NotFound(f"journey {journey_id} has no version {version}")
            self.version(workspace, journey_id, number)  # a 404 for a number never written
            self._point(workspace, journey_id, number)
            return
        if not stored["draft"].get("steps"):
            # A shell (its templates are made before its send nodes) runs nothing yet.
            raise ValidationFailed.of("nodes", "must hold a node that does something")
        number, draft = self._allocate(workspace, journey_id)
        published = {**draft, "number": number, "published_ms": now_ms()}
        # Its number taken first, in a transaction: two publishes at once make two versions.
        # A crash before the pointer leaves a version nobody points at, and one before the
        # version a number unused; the next publish takes the next number either way.
        self.documents.put(workspace, version_path(journey_id, number), published)
        self._point(workspace, journey_id, number)

    def _allocate(self, workspace: str, journey_id: str) -> tuple[int, Document]:
        """The next version's number, taken, and the draft it publishes."""
        taken: list[tuple[int, Document]] = []

        def counted(current: Document | None) -> Document | None:
            taken.clear()
            if current is None or current.get("archived"):
                return None
            number = int(current.get("versions", 0)) + 1
            if number > MAX_VERSIONS:
                return None
            taken.append((number, current["draft"]))
            return {**current, "versions": number}

        self.documents.update(workspace, journey_path(journey_id), counted)
        if not taken:
            self.stored(workspace, journey_id)  # a 404 for a journey archived meanwhile
            raise ValidationFailed.of(
                "template_id", f"has {MAX_VERSIONS} versions, the most a journey keeps"
            )
        return taken[0]

    def _point(self, workspace: str, journey_id: str, number: int) -> None:
        at = now_ms()

        def pointed(current: Document | None) -> Document | None:
            if current is None:
                return None
            versions = max(int(current.get("versions", 0)), number)
            return {**current, "published": number, "versions": versions, "updated_ms": at}

        self.documents.update(workspace, journey_path(journey_id), pointed)

    def version(self, workspace: str, journey_id: str, number: int) -> Document:
        found = self.documents.get(workspace, version_path(journey_id, number))
        if found is None:
            raise NotFound(f"journey {journey_id} has no version {version_name(number)}")
        return found

    def published(self, workspace: str, journey_id: str) -> tuple[Document, Document]:
        """The journey and its published version; a 400 when it has none."""
        stored = self.stored(workspace, journey_id)
        if not stored.get("published"):
            raise ValidationFailed.of(
                "template_id", f"journey {journey_id} has no published version: publish it first"
            )
        return stored, self.version(workspace, journey_id, int(stored["published"]))

    def get(self, workspace: str, journey_id: str, version: str | None) -> dict[str, Any]:
        stored = self.stored(workspace, journey_id)
        if version == "draft":
            return journey_view(journey_id, stored, stored["draft"])
        if version in (None, "published"):
            if not stored.get("published"):
                raise NotFound(
                    f"journey {journey_id} has no published version; ?version=draft reads its draft"
                )
            number = int(stored["published"])
        else:
            number = version_number(version, "version")
        return journey_view(journey_id, stored, self.version(workspace, journey_id, number))

    def versions(self, workspace: str, journey_id: str) -> dict[str, Any]:
        """Courier's ``JourneyVersionsListResponse``, the most recent first."""
        self.stored(workspace, journey_id)
        page = self.documents.page(
            workspace, ("journeys", journey_id, "versions"), None, MAX_VERSIONS
        )
        results = [
            {
                "version": version_name(int(doc["number"])),
                "name": doc["name"],
                "created": doc.get("updated_ms"),
                "published": doc.get("published_ms"),
                "creator": None,
            }
            for _, doc in reversed(page)
        ]
        return {"results": results, "paging": {"more": False, "cursor": None}}

    def find(self, workspace: str, cursor: str | None, version: str | None) -> dict[str, Any]:
        """Courier's ``JourneysListResponse``: with ``published`` (the default) the journeys
        that have a published version, with ``draft`` every journey's draft."""
        if version not in (None, "published", "draft"):
            raise ValidationFailed.of("version", "must be published or draft")
        page = self.documents.page(workspace, ("journeys",), cursor, JOURNEYS_PAGE)
        drafts = version == "draft"
        templates = [
            {
                "id": journey_id,
                "name": doc["draft"]["name"],
                "version": "draft" if drafts else "published",
                "createdAt": iso(doc.get("created_ms")),
                "updatedAt": iso(doc.get("updated_ms")),
            }
            for journey_id, doc in page
            if not doc.get("archived") and (drafts or doc.get("published"))
        ]
        more = len(page) == JOURNEYS_PAGE
        return {"templates": templates, "cursor": page[-1][0] if more else None}

    def archive(self, workspace: str, journey_id: str) -> None:
        self.stored(workspace, journey_id)

        def archived(current: Document | None) -> Document | None:
            return None if current is None else {**current, "archived": True}

        self.documents.update(workspace, journey_path(journey_id), archived)


def journey_step_view(state: StepState) -> dict[str, Any]:
    """Courier's ``JourneyRunStep``."""
    return {
        "action": NODE_OF_ACTION.get(state.action, state.action),
        "node_id": state.node_id,
        "status": state.status.value,
        "message_id": state.message_id,
        "created_at": iso(state.started_ms),
        "updated_at": iso(state.updated_ms),
        "error": {"message": state.error} if state.error else None,
        "skip_reason": (
            state.skip_reason or "Node conditions not met"
            if state.status == StepStatus.SKIPPED
            else None
        ),
        "outcome": state.outcome,
    }


def journey_run_item(record: MessageState, run: AutomationRun) -> dict[str, Any]:
    """Courier's ``JourneyRunListItem``."""
    return {
        "run_id": record.id,
        "source": [f"invoke/{run.journey_id}"],
        "created_at": iso(run.invoked_ms),
        "status": run.status.value,
        "template_id": run.journey_id,
    }


class JourneyRuns:
    def __init__(self, messages: MessageRepository, documents: DocumentStore) -> None:
        self.messages = messages
        self.documents = documents

    def run(self, workspace: str, run_id: str) -> tuple[MessageState, AutomationRun]:
        """A journey's run; an automation's is no journey run (404, as Courier answers)."""
        record = self.messages.get_message(workspace, run_id)
        if record is None or record.automation is None or record.automation.journey_id is None:
            raise NotFound(f"no journey run {run_id}")
        return record, record.automation

    def get(self, workspace: str, run_id: str) -> dict[str, Any]:
        record, run = self.run(workspace, run_id)
        return {"run": {**journey_run_item(record, run), "updated_at": iso(run.updated_ms)}}

    def steps(self, workspace: str, run_id: str) -> dict[str, Any]:
        _, run = self.run(workspace, run_id)
        return {"steps": [journey_step_view(state) for state in run.steps]}

    def find(self, workspace: str, cursor: str | None, limit: str | None) -> dict[str, Any]:
        size = int(limit) if limit and limit.isdigit() else RUNS_PAGE
        size = max(1, min(size, MAX_RUNS_PAGE))
        page = self.documents.page(workspace, ("journey_runs",), cursor, size)
        records = self.messages.get_messages(workspace, [run_id for run_id, _ in page])
        runs = [journey_run_item(r, r.automation) for r in records if r.automation is not None]
        return {"runs": runs, "next_cursor": page[-1][0] if len(page) == size else None}
