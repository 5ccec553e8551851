"""Courier's journeys API: drafts, versions and publish, invoke and cancel, on the
automations' engine.

A journey's nodes are read as automation steps when the draft is stored (a bad node is a
400 naming ``nodes[<i>].<field>``), published as a version of their own, and invoked as
an automation run of the published version's steps (``AutomationInvoker.invoke``): the
same run, the same events, the same ``automate`` function.
"""

from __future__ import annotations

from typing import Any

from herald.clock import now_ms
from herald.domain.automation import (
    MAX_STEPS,
    MAX_TOKEN_CHARS,
    FetchDataStep,
    RunStatus,
    SendStep,
    StepStatus,
    parse_step,
)
from herald.domain.journey import MAX_NAME_CHARS, journey_steps
from herald.domain.message import MessageState
from herald.errors import ValidationFailed
from herald.pipeline.automating import (
    RECORD_STATUS,
    AutomationInvoker,
    cancelation_path,
    check_step,
)
from herald.pipeline.automation_fetch import check_webhook
from herald.resources.journeys import JourneyRuns, JourneyTemplates, version_name
from herald.resources.notifications import JOURNEY_SCOPE, TEMPLATES
from herald.store.base import Transition
from herald.store.documents import Document
from herald.templating import TemplateError, compile_template, render

CONSUMER = "api"
JOURNEY_FIELDS = frozenset({"name", "nodes", "cancelation_token", "enabled", "state"})
INVOKE_FIELDS = frozenset({"data", "profile", "user_id"})
# Trigger and exit nodes make no step: a journey may have two nodes more than a run's steps.
MAX_NODES = MAX_STEPS + 2


class JourneyService:
    def __init__(self, invoker: AutomationInvoker, runs: JourneyRuns) -> None:
        self.invoker = invoker
        self.runs = runs
        self.templates = JourneyTemplates(invoker.documents)

    def _draft(
        self, workspace: str, body: Any, journey_id: str | None
    ) -> tuple[Document, bool | None, bool]:
        """The draft a create or replace stores (for ``journey_id``, None when new),
        whether it enables the journey, and whether it asks to publish it."""
        if not isinstance(body, dict):
            raise ValidationFailed.of("body", "must be a JSON object")
        if unknown := sorted(set(body) - JOURNEY_FIELDS):
            raise ValidationFailed.of(unknown[0], "is not a field of a journey")
        name = body.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_CHARS:
            raise ValidationFailed.of("name", f"must be text of 1 to {MAX_NAME_CHARS} characters")
        nodes = body.get("nodes")
        if not isinstance(nodes, list) or len(nodes) > MAX_NODES:
            raise ValidationFailed.of("nodes", f"must be a list of at most {MAX_NODES} nodes")
        at = now_ms()
        node_steps = journey_steps(nodes)
        if len(node_steps) > MAX_STEPS:
            raise ValidationFailed.of(
                "nodes",
                f"make {len(node_steps)} steps, the ways of branches and experiments"
                f" counted; at most {MAX_STEPS}",
            )
        steps = []
        for node_step in node_steps:
            field = node_step.field
            checked = check_step(node_step.step, field, at)
            step = parse_step(checked, field)
            if isinstance(step, FetchDataStep):
                check_webhook(step.webhook, field, self.invoker.allow_private)
            if isinstance(step, SendStep) and step.template is not None:
                self._check_scope(workspace, step.template, journey_id, field)
            steps.append(checked)
        draft: Document = {
            "name": name,
            "nodes": nodes,
            "steps": steps,
            "node_ids": [node_step.node_id for node_step in node_steps],
        }
        if "cancelation_token" in body:
            draft["cancelation_token"] = _token_template(body["cancelation_token"])
        enabled = body.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise ValidationFailed.of("enabled", "must be true or false")
        state = body.get("state")
        if state not in (None, "DRAFT", "PUBLISHED"):
            raise ValidationFailed.of("state", "must be DRAFT or PUBLISHED")
        return draft, enabled, state == "PUBLISHED"

    def _check_scope(
        self, workspace: str, template_id: str, journey_id: str | None, field: str
    ) -> None:
        """A template kept for a journey is sent by that journey's nodes alone."""
        template = self.invoker.documents.get(workspace, (TEMPLATES, template_id))
        owner = (template or {}).get(JOURNEY_SCOPE, {}).get("id")
        if owner is not None and owner != journey_id:
            raise ValidationFailed.of(
                f"{field}.message.template",
                f"template {template_id!r} belongs to journey {owner}",
            )

    def create(self, workspace: str, body: Any) -> dict[str, Any]:
        """``POST /journeys``: a draft, published at once with ``state: PUBLISHED``."""
        draft, enabled, publish = self._draft(workspace, body, None)
        draft.setdefault("cancelation_token", None)
        journey_id = self.templates.create(workspace, draft, True if enabled is None else enabled)
        if publish:
            self.templates.publish(workspace, journey_id, None)
            return self.templates.get(workspace, journey_id, "published")
        return self.templates.get(workspace, journey_id, "draft")

    def replace(self, workspace: str, journey_id: str, body: Any) -> dict[str, Any]:
        """``PUT /journeys/{id}``: the draft replaced; the published version stays live
        unless ``state: PUBLISHED`` publishes the new draft."""
        draft, enabled, publish = self._draft(workspace, body, journey_id)
        self.templates.replace_draft(workspace, journey_id, draft, enabled)
        if publish:
            self.templates.publish(workspace, journey_id, None)
        return self.templates.get(workspace, journey_id, "draft")

    def publish(self, workspace: str, journey_id: str, body: Any) -> dict[str, Any]:
        """``POST /journeys/{id}/publish``: the draft as a new version, or ``{version}``
        published again."""
        body = body if body is not None else {}
        if not isinstance(body, dict) or set(body) - {"version"}:
            raise ValidationFailed.of("version", "is the body's one field")
        version = body.get("version")
        if version is not None and not isinstance(version, str):
            raise ValidationFailed.of("version", "must be text, like v2")
        self.templates.publish(workspace, journey_id, version)
        return self.templates.get(workspace, journey_id, "published")

    def invoke(self, workspace: str, journey_id: str, body: Any) -> str:
        """``POST /journeys/{id}/invoke``: a run of the published version, for the user."""
        if not isinstance(body, dict):
            raise ValidationFailed.of("body", "must be a JSON object")
        if unknown := sorted(set(body) - INVOKE_FIELDS):
            raise ValidationFailed.of(unknown[0], "is not a field of a journey invoke")
        stored, version = self.templates.published(workspace, journey_id)
        if not stored.get("enabled", True):
            raise ValidationFailed.of("template_id", f"journey {journey_id} is disabled")
        data, profile = body.get("data") or {}, body.get("profile") or {}
        for field, value in (("data", data), ("profile", profile)):
            if not isinstance(value, dict):
                raise ValidationFailed.of(field, "must be an object")
        user_id = body.get("user_id") or _user_id_in(profile) or _user_id_in(data)
        invoke_body = {"recipient": user_id, "profile": profile, "data": data}
        automation: dict[str, Any] = {"steps": version["steps"]}
        if token := version.get("cancelation_token"):
            automation["cancelation_token"] = _resolved_token(token, data, profile)
        return self.invoker.invoke(
            workspace,
            {k: v for k, v in invoke_body.items() if v is not None},
            automation,
            automation_field="journey",
            journey_id=journey_id,
            journey_version=version_name(int(version["number"])),
            node_ids=list(version["node_ids"]),
        )

    def cancel(self, workspace: str, body: Any) -> dict[str, Any]:
        """``POST /journeys/cancel``: every run invoked with a token before now, or one run."""
        if not isinstance(body, dict) or len(body) != 1:
            raise ValidationFailed.of("body", "must hold one of cancelation_token or run_id")
        if "cancelation_token" in body:
            token = body["cancelation_token"]
            if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
                raise ValidationFailed.of(
                    "cancelation_token", f"must be text of 1 to {MAX_TOKEN_CHARS} characters"
                )
            at = now_ms()

            def canceled(current: Document | None) -> Document | None:
                if current is not None and int(current.get("canceled_ms", 0)) >= at:
                    return None
                return {"canceled_ms": at, "by_run": None}

            self.invoker.documents.update(workspace, cancelation_path(token), canceled)
            return {"cancelation_token": token}
        run_id = body.get("run_id")
        if not isinstance(run_id, str):
            raise ValidationFailed.of("run_id", "must be a journey run's id")
        self.runs.run(workspace, run_id)  # a 404 for no such journey run
        self.invoker.messages.transition(
            workspace, run_id, CONSUMER, f"journey-cancel:{run_id}", _cancel_run
        )
        _, run = self.runs.run(workspace, run_id)
        return {"run_id": run_id, "status": run.status.value}


def _cancel_run(current: MessageState) -> Transition | None:
    """The run ends CANCELED before its next step; a run that ended stays as it ended."""
    run = current.automation
    if run is None or run.ended:
        return None
    run = run.model_copy(deep=True)
    at = now_ms()
    for state in run.steps[run.next_step :]:
        if state.status in (StepStatus.PENDING, StepStatus.WAITING):
            state.status = StepStatus.CANCELED
    run.status, run.reason, run.updated_ms = RunStatus.CANCELED, "canceled by its run id", at
    update = {"automation": run, "status": RECORD_STATUS[run.status]}
    return Transition(current.model_copy(update=update), [])


def _user_id_in(values: dict[str, Any]) -> str | None:
    for key in ("user_id", "userId"):
        if isinstance(found := values.get(key), str):
            return found
    return None


def _token_template(token: Any) -> str | None:
    if token is None:
        return None
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        raise ValidationFailed.of(
            "cancelation_token", f"must be text of 1 to {MAX_TOKEN_CHARS} characters"
        )
    try:
        compile_template(token)
    except TemplateError as exc:
        raise ValidationFailed.of("cancelation_token", str(exc)) from exc
    return token


def _resolved_token(token: str, data: Any, profile: Any) -> str:
    """The journey's token for this run (``order-{{data.order_id}}``), in the templates'
    sandbox; what it renders to is bounded as a token is."""
    try:
        resolved = render(token, {"data": data, "profile": profile}, limit=MAX_TOKEN_CHARS)
    except TemplateError as exc:
        raise ValidationFailed.of("cancelation_token", f"does not render: {exc}") from exc
    if not resolved:
        raise ValidationFailed.of("cancelation_token", "renders to nothing for this data")
    return resolved
