"""Automations: invoking a run (the api) and running its steps (the ``automate`` function).

A run is kept as a record beside the messages (``MessageState.automation``), so its
steps move it the way stages move a message: each step is one transition, applied once
per event id, that writes the run's new state, the event of the next step and, for a
send step, the message it makes with its ``message.enqueued``, in one transaction. A
redelivered event finds its receipt and runs nothing twice; a delay is a wait on the
durable timer, which brings the step's event back when it ends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from herald.clock import now_ms
from herald.domain.audience import SubscriptionTopic
from herald.domain.automation import (
    MAX_BATCH_KEY_CHARS,
    MAX_BUCKETING_KEY_CHARS,
    MAX_INVOKE_DEPTH,
    MAX_STEPS,
    MAX_THROTTLE_KEY_CHARS,
    MAX_TOKEN_CHARS,
    AddToDigestStep,
    AutomationRun,
    BatchStep,
    BranchStep,
    CancelStep,
    DelayStep,
    ExitStep,
    ExperimentStep,
    FetchDataStep,
    InvokeStep,
    RunStatus,
    SendListStep,
    SendStep,
    StepState,
    StepStatus,
    ThrottleStep,
    UpdateProfileStep,
    delay_due_ms,
    merged,
    parse_step,
)
from herald.domain.journey_conditions import check_conditions, conditions_met, describe
from herald.domain.message import FanOut, MessageState, RequestRecord
from herald.domain.send import check_identifier, storable
from herald.domain.status import MessageStatus
from herald.errors import FieldError, ValidationFailed
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import AutomationInvoked, AutomationStepDue
from herald.ids import message_id_for, new_request_id
from herald.observability import logs, tracing
from herald.pipeline.accepting import enqueued_event, message_template, parse_send
from herald.pipeline.automation_batch import Batches, BatchesFull, Joined
from herald.pipeline.automation_fetch import DataFetcher, FetchFailed, check_webhook
from herald.pipeline.automation_throttle import Throttles, throttle_key
from herald.pipeline.ignoring import note_ignored
from herald.resources.automations import (
    AutomationTemplateBody,
    AutomationTemplates,
    runs_index_path,
    template_path,
)
from herald.resources.journeys import journey_runs_index_path
from herald.resources.notifications import JOURNEY_SCOPE, TEMPLATES, is_published
from herald.resources.parsing import parse_body
from herald.resources.preferences import topic_path
from herald.resources.profiles import profile_addresses, profile_path
from herald.store.base import MessageRepository, ScheduledEvent, TimerRepository, Transition
from herald.store.documents import Document, DocumentStore
from herald.store.sizes import value_size
from herald.templating import (
    TemplateError,
    compile_expression,
    compile_template,
    evaluate,
    render,
    truthy,
)

CONSUMER = "automate"
INVOKED, STEP_DUE = "automation.invoked", "automation.step_due"

# How the run's record reads to the sweeper: waiting in a step, waiting on the timer, or
# at an end (a finished run, like a list send's record, made everything it makes).
RECORD_STATUS = {
    RunStatus.PROCESSING: MessageStatus.ENQUEUED,
    RunStatus.WAITING: MessageStatus.DELAYED,
    RunStatus.PROCESSED: MessageStatus.FANNED_OUT,
    RunStatus.CANCELED: MessageStatus.CANCELED,
    RunStatus.ERROR: MessageStatus.UNDELIVERABLE,
    RunStatus.THROTTLED: MessageStatus.CANCELED,
    RunStatus.BATCHED: MessageStatus.FANNED_OUT,
}


def cancelation_path(token: str) -> tuple[str, str]:
    """A token's cancel record; hashed, since a caller's token is no document id."""
    return ("automation_cancelations", hashlib.sha256(token.encode()).hexdigest())


def send_body(
    run: AutomationRun, data: dict[str, Any], step: SendStep, topic: str | None = None
) -> dict[str, Any]:
    """The ``POST /send`` body a send step stands for: the step's values over the run's;
    to the subscription ``topic`` when given (an add-to-digest step's send)."""
    profile = {**run.profile, **(step.profile or {})}
    to: dict[str, Any] = {**profile_addresses(profile)}
    if recipient := step.recipient or run.recipient:
        to["user_id"] = recipient
    message: dict[str, Any] = {"to": to, "data": {**data, **(step.data or {})}}
    if template := step.template or run.template:
        message["template"] = template
    if brand := step.brand or run.brand:
        message["brand_id"] = brand
    if topic is not None:
        message["preferences"] = {"subscription_topic_id": topic}
    return {"message": message}


def send_list_body(run: AutomationRun, data: dict[str, Any], step: SendListStep) -> dict[str, Any]:
    """The ``POST /send`` body a send-list step stands for: a send to the list."""
    message: dict[str, Any] = {"to": {"list_id": step.list}, "data": {**data, **(step.data or {})}}
    if template := step.template or run.template:
        message["template"] = template
    if brand := step.brand or run.brand:
        message["brand_id"] = brand
    return {"message": message}


def _check_send(
    run: AutomationRun, data: dict[str, Any], step: SendStep | SendListStep, field: str
) -> None:
    if isinstance(step, SendStep) and not (step.recipient or run.recipient):
        raise ValidationFailed.of(
            f"{field}.recipient", "a send step needs a recipient (its own or the run's)"
        )
    if not (step.template or run.template):
        raise ValidationFailed.of(
            f"{field}.template", f"a {step.action} step needs a template (its own or the run's)"
        )
    body = (
        send_body(run, data, step)
        if isinstance(step, SendStep)
        else send_list_body(run, data, step)
    )
    try:
        parse_send(body)
    except ValidationFailed as exc:
        raise ValidationFailed(
            [FieldError(field, f"would send {e.field}: {e.reason}") for e in exc.errors]
        ) from exc


def check_run(run: AutomationRun, data: dict[str, Any], field: str, allow_private: bool) -> None:
    """What each step needs of the run's context, checked before it runs."""
    for index, state in enumerate(run.steps):
        step, step_field = state.parsed(), f"{field}.steps[{index}]"
        if isinstance(step, SendStep | SendListStep):
            _check_send(run, data, step, step_field)
        elif isinstance(step, UpdateProfileStep) and not (step.recipient_id or run.recipient):
            raise ValidationFailed.of(
                f"{step_field}.recipient_id",
                "an update-profile step needs a recipient_id (its own or the run's recipient)",
            )
        elif isinstance(step, FetchDataStep):
            check_webhook(step.webhook, f"{step_field}.webhook", allow_private)
        elif isinstance(step, AddToDigestStep) and not run.recipient:
            raise ValidationFailed.of(
                f"{step_field}.recipient", "an add-to-digest step collects for the run's recipient"
            )
        elif isinstance(step, ThrottleStep) and step.scope == "user" and not run.recipient:
            raise ValidationFailed.of(
                f"{step_field}.scope", "a throttle of scope user needs the run's recipient"
            )


def condition_scope(run: AutomationRun, data: dict[str, Any]) -> dict[str, Any]:
    """What a step's ``if`` sees."""
    return {"data": data, "profile": run.profile, "recipient": run.recipient}


# How many stored templates one invoke may reach through invoke steps, read to check them.
MAX_INVOKED_TEMPLATES = 50


# What a journey's nodes become; Courier's automations have no such steps.
JOURNEY_ACTIONS = frozenset({"branch", "experiment", "exit", "add-to-digest"})


def check_automation(
    raw: Any, at: int, field: str = "automation", journey: bool = False
) -> list[dict[str, Any]]:
    """The steps of ``{steps, cancelation_token}`` (a journey's when ``journey``), each
    checked; a 400 naming the field."""
    if not isinstance(raw, dict):
        raise ValidationFailed.of(field, "must be an object with steps")
    unknown = set(raw) - {"steps", "cancelation_token"}
    if unknown:
        raise ValidationFailed.of(f"{field}.{sorted(unknown)[0]}", "is not a field of it")
    steps = raw.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise ValidationFailed.of(f"{field}.steps", f"must be a list of 1 to {MAX_STEPS} steps")
    token = raw.get("cancelation_token")
    if token is not None and (not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS):
        raise ValidationFailed.of(
            f"{field}.cancelation_token", f"must be text of 1 to {MAX_TOKEN_CHARS} characters"
        )
    for index, given in enumerate(steps):
        if not journey and isinstance(given, dict) and given.get("action") in JOURNEY_ACTIONS:
            raise ValidationFailed.of(
                f"{field}.steps[{index}].action",
                f"{given['action']!r} is the step of a journey's node, not an automation's",
            )
    checked = [
        check_step(given, f"{field}.steps[{index}]", at) for index, given in enumerate(steps)
    ]
    for index, raw in enumerate(checked):
        step = parse_step(raw, f"{field}.steps[{index}]")
        if (
            isinstance(step, BranchStep | ExperimentStep)
            and sum(step.arm_sizes()) > len(steps) - index - 1
        ):
            raise ValidationFailed.of(
                f"{field}.steps[{index}]",
                f"its ways hold {sum(step.arm_sizes())} steps; only"
                f" {len(steps) - index - 1} follow it",
            )
    return checked


def check_step(given: Any, step_field: str, at: int) -> dict[str, Any]:
    """One step, checked as an invoke checks it; a 400 names ``step_field.<its field>``."""
    step = parse_step(given, step_field)
    if isinstance(step, DelayStep):
        delay_due_ms(step, step_field, at)
    if step.condition is not None:
        try:
            compile_expression(step.condition)
        except TemplateError as exc:
            raise ValidationFailed.of(f"{step_field}.if", str(exc)) from exc
    if step.conditions is not None:
        check_conditions(step.conditions, f"{step_field}.conditions")
    if isinstance(step, BranchStep):
        for index, path in enumerate(step.paths):
            if path.conditions is None:
                raise ValidationFailed.of(
                    f"{step_field}.paths[{index}].conditions", "a path needs conditions"
                )
            check_conditions(path.conditions, f"{step_field}.paths[{index}].conditions")
        if step.default.conditions is not None:
            raise ValidationFailed.of(
                f"{step_field}.default.conditions", "the default is taken when no path is"
            )
    if isinstance(step, ExperimentStep):
        try:
            compile_template(step.bucketing_key)
        except TemplateError as exc:
            raise ValidationFailed.of(f"{step_field}.bucketing_key", str(exc)) from exc
    if isinstance(step, ThrottleStep):
        _check_throttle(step, step_field)
    if isinstance(step, BatchStep) and step.batch_key is not None:
        try:
            compile_template(step.batch_key)
        except TemplateError as exc:
            raise ValidationFailed.of(f"{step_field}.batch_key", str(exc)) from exc
    return step.model_dump(mode="json", exclude_none=True, by_alias=True)


def _check_throttle(step: ThrottleStep, field: str) -> None:
    if step.scope == "dynamic" and step.throttle_key is None:
        raise ValidationFailed.of(
            f"{field}.throttle_key", "a dynamic throttle needs a throttle_key"
        )
    if step.throttle_key is not None:
        try:
            compile_template(step.throttle_key)
        except TemplateError as exc:
            raise ValidationFailed.of(f"{field}.throttle_key", str(exc)) from exc


def invoked_templates(steps: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """The stored automations a list of (checked) steps invokes, by step index."""
    return [
        (index, str(step["template"]))
        for index, step in enumerate(steps)
        if step.get("action") == "invoke"
    ]


class InvokeChecker:
    """Refuses invoke steps that would never end well: a template that does not exist, a
    cycle (a template that invokes itself, however far down), or runs nested deeper than
    ``MAX_INVOKE_DEPTH``. Each template is read once per check, and at most
    ``MAX_INVOKED_TEMPLATES`` of them."""

    def __init__(self, documents: DocumentStore, workspace: str) -> None:
        self.documents = documents
        self.workspace = workspace
        self.heights: dict[str, int] = {}  # template -> levels of runs it makes, itself one

    def check(
        self, steps: list[dict[str, Any]], path: tuple[str, ...], depth: int, field: str
    ) -> None:
        """``path``: the templates above these steps; ``depth``: the run's own."""
        for index, template_id in invoked_templates(steps):
            step_field = f"{field}.steps[{index}].template"
            height = self._height(template_id, path, step_field)
            if depth + height > MAX_INVOKE_DEPTH:
                raise ValidationFailed.of(
                    step_field,
                    f"invokes {template_id!r}, whose runs would nest {depth + height} deep;"
                    f" runs invoke runs at most {MAX_INVOKE_DEPTH} deep",
                )

    def _height(self, template_id: str, path: tuple[str, ...], field: str) -> int:
        if template_id in path:
            chain = " -> ".join((*path[path.index(template_id) :], template_id))
            raise ValidationFailed.of(field, f"invokes a cycle of automations ({chain})")
        if template_id in self.heights:
            return self.heights[template_id]
        if len(self.heights) >= MAX_INVOKED_TEMPLATES:
            raise ValidationFailed.of(
                field, f"reaches more than {MAX_INVOKED_TEMPLATES} automation templates"
            )
        stored = self.documents.get(self.workspace, template_path(template_id))
        if stored is None:
            raise ValidationFailed.of(field, f"no automation template {template_id!r}")
        self.heights[template_id] = 0  # counted now; a way back to it is a cycle (its path)
        below = [
            self._height(invoked, (*path, template_id), field)
            for _, invoked in invoked_templates(stored["steps"])
        ]
        self.heights[template_id] = 1 + max(below, default=0)
        return self.heights[template_id]


INVOKE_FIELDS = frozenset({"automation", "brand", "data", "profile", "recipient", "template"})


class AutomationInvoker:
    """The api's side: checks a run, stores it with its first event, answers its id."""

    def __init__(
        self, messages: MessageRepository, documents: DocumentStore, allow_private: bool = False
    ) -> None:
        self.messages = messages
        self.documents = documents
        self.templates = AutomationTemplates(documents)
        self.allow_private = allow_private  # fetch-data to private addresses (local stack)

    def invoke_ad_hoc(self, workspace: str, body: Any) -> str:
        """``POST /automations/invoke``: the steps come with the body."""
        automation = body.get("automation") if isinstance(body, dict) else None
        return self.invoke(workspace, body, automation)

    def invoke_template(self, workspace: str, template_id: str, body: Any) -> str:
        """``POST /automations/{template_id}/invoke``: the steps are the stored template's."""
        if isinstance(body, dict) and "automation" in body:
            raise ValidationFailed.of(
                "automation", "is the stored template's; invoke ad hoc to give steps"
            )
        stored = self.templates.stored(workspace, template_id)
        automation: dict[str, Any] = {"steps": stored["steps"]}
        if stored.get("cancelation_token"):
            automation["cancelation_token"] = stored["cancelation_token"]
        return self.invoke(workspace, body, automation, template_id)

    def store_template(self, workspace: str, template_id: str, body: Any) -> None:
        """``PUT /automations/{template_id}``: its steps are checked as an invoke's are."""
        parsed = parse_body(AutomationTemplateBody, body)
        automation = parsed.automation.model_dump(exclude_none=True)
        steps = check_automation(automation, now_ms())
        for index, raw in enumerate(steps):
            step_field = f"automation.steps[{index}]"
            if isinstance(step := parse_step(raw, step_field), FetchDataStep):
                check_webhook(step.webhook, f"{step_field}.webhook", self.allow_private)
        InvokeChecker(self.documents, workspace).check(steps, (template_id,), 0, "automation")
        self.templates.put(
            workspace, template_id, parsed.name, steps, parsed.automation.cancelation_token
        )

    def invoke(
        self,
        workspace: str,
        body: Any,
        automation: Any,
        template_id: str | None = None,
        automation_field: str = "automation",
        journey_id: str | None = None,
        journey_version: str | None = None,
        node_ids: list[str | None] | None = None,
    ) -> str:
        """A run of ``automation``'s steps (a journey's: with the node id of each)."""
        if not isinstance(body, dict):
            raise ValidationFailed.of("body", "must be a JSON object")
        if unknown := sorted(set(body) - INVOKE_FIELDS):
            raise ValidationFailed.of(unknown[0], "is not a field of an invoke")
        at = now_ms()
        steps = check_automation(automation, at, automation_field, journey_id is not None)
        run = AutomationRun(
            template_id=template_id,
            cancelation_token=automation.get("cancelation_token"),
            journey_id=journey_id,
            journey_version=journey_version,
            steps=[
                StepState(step=step, node_id=node_ids[i] if node_ids else None)
                for i, step in enumerate(steps)
            ],
            recipient=_text(body, "recipient", identifier=True),
            profile=_object(body, "profile"),
            brand=_text(body, "brand", identifier=True),
            template=_text(body, "template", identifier=True),
            invoked_ms=at,
        )
        data = _object(body, "data")
        check_run(run, data, automation_field, self.allow_private)
        path = (template_id,) if template_id else ()
        InvokeChecker(self.documents, workspace).check(steps, path, 0, automation_field)
        run_id = new_request_id()
        record = MessageState(
            id=run_id,
            workspace=workspace,
            request_id=run_id,
            recipient={"user_id": run.recipient} if run.recipient else {},
            content={},
            data=data,
            enqueued_ms=at,
            traceparent=tracing.current_traceparent(),
            automation=run,
        )
        # Listed first: a crash before the run leaves an entry the list skips, never a
        # run nobody can find.
        listed = journey_runs_index_path(run_id) if journey_id else runs_index_path(run_id)
        self.documents.put(
            workspace, listed, {"created_ms": at, "template_id": journey_id or template_id}
        )
        invoked = NewEvent(INVOKED, AutomationInvoked(template_id=template_id, steps=len(steps)))
        self.messages.create_request(
            RequestRecord(id=run_id, workspace=workspace, message_ids=[run_id], received_ms=at),
            [(record, [invoked])],
        )
        return run_id


def _text(body: dict[str, Any], field: str, identifier: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed.of(field, "must be text")
    if identifier:
        try:
            check_identifier(value)
        except ValueError as exc:
            raise ValidationFailed.of(field, str(exc)) from exc
    return value


def _object(body: dict[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed.of(field, "must be an object")
    try:
        storable(value)
    except ValueError as exc:
        raise ValidationFailed.of(field, str(exc)) from exc
    return value


# A run's data, with what fetch-data steps merged into it, stays this small: the run's
# record also holds its steps, and each message it sends copies the data.
MAX_RUN_DATA_BYTES = 128 * 1024
BATCH_OVERHEAD_BYTES = 1024  # ``batch: {items: [...], count}`` around the items


@dataclass(frozen=True)
class Prepared:
    """What a step found out before its transition: whether its ``if`` let it run, why it
    failed, what a fetch answered, the steps of the automation it invokes."""

    skip: bool = False
    error: str | None = None
    fetched: dict[str, Any] | None = None
    invoked: dict[str, Any] | None = None  # the stored template
    invoked_path: tuple[str, ...] = ()
    throttled: bool = False
    batch: Joined | None = None  # the batch a batch step joined
    batch_items: list[Any] | None = None  # what a batch step's release collected
    digest_template: str | None = None  # the template of an add-to-digest step's topic
    arm: int | None = None  # the way a branch or an experiment step took
    outcome: str | None = None  # which, and why
    skip_reason: str | None = None


class AutomationRunner:
    """The ``automate`` function's service: one step per event, exactly once."""

    consumer = CONSUMER

    def __init__(
        self,
        messages: MessageRepository,
        timers: TimerRepository,
        documents: DocumentStore,
        fetcher: DataFetcher,
        clock: Callable[[], int] = now_ms,
        allow_private: bool = False,
    ) -> None:
        self.messages = messages
        self.timers = timers
        self.documents = documents
        self.fetcher = fetcher
        self.clock = clock
        self.allow_private = allow_private
        self.throttles = Throttles(documents)
        self.batches = Batches(documents)

    def handle(self, event: EventEnvelope) -> None:
        """Raise means retry (a store failed), return means done."""
        if event.type not in (INVOKED, STEP_DUE):
            return
        due = AutomationStepDue.model_validate(
            event.payload if event.type == STEP_DUE else {"step": 0}
        )
        record = self.messages.get_message(event.workspace, event.message_id)
        run = record.automation if record is not None else None
        if record is None or run is None or run.ended or run.next_step != due.step:
            note_ignored(self.messages, self.consumer, event, record)
            return
        if due.not_before_ms is not None and self.clock() < due.not_before_ms:
            # Early (a redelivery, or the timer's clock ahead of ours): wait on the timer.
            self.timers.schedule(
                ScheduledEvent(
                    key=f"automation-{event.seq}",
                    workspace=event.workspace,
                    message_id=event.message_id,
                    due_ms=due.not_before_ms,
                    envelope=event,
                    reason="automation delay",
                    created_ms=self.clock(),
                )
            )
            return
        canceled = self._canceled(record)
        state = run.steps[due.step]
        prepared = Prepared()
        if not canceled and state.status == StepStatus.PENDING:
            prepared = self._prepare(record, due.step, state, event)
        elif not canceled and state.batch_id is not None and _window_ended(state, due):
            prepared = Prepared(batch_items=self.batches.release(event.workspace, state.batch_id))
        applied = self.messages.transition(
            event.workspace,
            event.message_id,
            self.consumer,
            event.id,
            lambda current: self.decide(current, due.step, canceled, prepared),
        )
        if applied is None:
            note_ignored(self.messages, self.consumer, event)

    def _canceled(self, record: MessageState) -> bool:
        run = record.automation
        assert run is not None
        if run.cancelation_token is None:
            return False
        stored = self.documents.get(record.workspace, cancelation_path(run.cancelation_token))
        return (
            stored is not None
            and stored.get("by_run") != record.id
            and int(stored.get("canceled_ms", 0)) >= run.invoked_ms
        )

    def _prepare(
        self, record: MessageState, index: int, state: StepState, event: EventEnvelope
    ) -> Prepared:
        """What a step does outside the run's record, before its transition. Each is
        idempotent or harmless to repeat: a redelivery before the transition committed
        does it again (a fetch calls again), and only one transition is applied."""
        run = record.automation
        assert run is not None
        step = state.parsed()
        scope = condition_scope(run, record.data)
        if step.condition is not None:
            try:
                runs = truthy(evaluate(step.condition, scope))
            except TemplateError as exc:
                return Prepared(error=f"if: {exc}")
            if not runs:
                return Prepared(skip=True, skip_reason=f"its if is false: {step.condition}")
        if step.conditions is not None:
            try:
                met = conditions_met(step.conditions, scope)
            except TemplateError as exc:
                return Prepared(error=f"conditions: {exc}")
            if not met:
                return Prepared(
                    skip=True,
                    skip_reason=f"Node conditions not met: {describe(step.conditions)}",
                )
        if isinstance(step, BranchStep):
            return _branch_taken(step, scope)
        if isinstance(step, ExperimentStep):
            return _variant_taken(step, scope)
        if isinstance(step, AddToDigestStep):
            return self._prepare_digest(record.workspace, step)
        if isinstance(step, SendStep | SendListStep):
            template = step.template or run.template
            problem = template and self._template_problem(record.workspace, run, template)
            if problem:
                return Prepared(error=f"{step.action}: template {template!r} {problem}")
        if isinstance(step, CancelStep):
            at = event.occurred_ms  # the same on every redelivery

            def canceled(current: Document | None) -> Document | None:
                if current is not None and int(current.get("canceled_ms", 0)) >= at:
                    return None
                return {"canceled_ms": at, "by_run": record.id}

            self.documents.update(
                record.workspace, cancelation_path(step.cancelation_token), canceled
            )
        elif isinstance(step, UpdateProfileStep):
            user_id = step.recipient_id or run.recipient
            assert user_id is not None, "checked when invoked"
            self._update_profile(record.workspace, user_id, step)
        elif isinstance(step, FetchDataStep):
            try:
                return Prepared(fetched=self.fetcher.fetch(step.webhook))
            except FetchFailed as exc:
                return Prepared(error=f"fetch-data: {exc}")
        elif isinstance(step, InvokeStep):
            return self._prepare_invoke(record, run, index, step)
        elif isinstance(step, ThrottleStep):
            return self._prepare_throttle(record, run, index, step, event)
        elif isinstance(step, BatchStep):
            return self._prepare_batch(record, run, step, event)
        return Prepared()

    def _template_problem(self, workspace: str, run: AutomationRun, template_id: str) -> str | None:
        """Why a send step may not send this template now: archived, never published, or
        another journey's own. (One that does not exist ends its message at render.)"""
        template = self.documents.get(workspace, (TEMPLATES, template_id))
        if template is None:
            return None
        owner = (template.get(JOURNEY_SCOPE) or {}).get("id")
        if owner is not None and owner != run.journey_id:
            return f"belongs to journey {owner}"
        if "archived" in template:
            return "is archived"
        if not is_published(template):
            return "has never been published"
        return None

    def _prepare_digest(self, workspace: str, step: AddToDigestStep) -> Prepared:
        """The template the topic's digest releases with: Courier fails the run without one."""
        topic_id = step.subscription_topic_id
        stored = self.documents.get(workspace, topic_path(topic_id))
        topic = SubscriptionTopic.model_validate(stored) if stored else None
        if topic is None:
            return Prepared(error=f"add-to-digest: no subscription topic {topic_id!r}")
        if topic.digest is None:
            return Prepared(error=f"add-to-digest: topic {topic_id!r} has no digest")
        if topic.digest.template_id is None:
            return Prepared(
                error=f"add-to-digest: topic {topic_id!r} has no template for its digest"
            )
        return Prepared(digest_template=topic.digest.template_id)

    def _prepare_batch(
        self, record: MessageState, run: AutomationRun, step: BatchStep, event: EventEnvelope
    ) -> Prepared:
        """Joins the window's batch for the step's key: the runs of one automation template
        (ad hoc runs together) with the same rendered ``batch_key``, or the same recipient
        when it has none."""
        key: str | None = None
        if step.batch_key is not None:
            try:
                key = render(
                    step.batch_key, condition_scope(run, record.data), limit=MAX_BATCH_KEY_CHARS
                )
            except TemplateError as exc:
                return Prepared(error=f"batch_key: {exc}")
        batch_key = json.dumps(
            [run.journey_id or run.template_id, key, run.recipient if key is None else None]
        )
        # What the owner's data may still take: the batch lands in it.
        room = MAX_RUN_DATA_BYTES - value_size(record.data) - BATCH_OVERHEAD_BYTES
        try:
            joined = self.batches.join(
                record.workspace,
                batch_key,
                step.window_ms(),
                step.max_items,
                record.id,
                record.data,
                room,
                event.occurred_ms,  # the same on every redelivery: the same window
            )
        except BatchesFull as exc:
            return Prepared(error=f"batch: {exc}")
        return Prepared(batch=joined)

    def _prepare_throttle(
        self,
        record: MessageState,
        run: AutomationRun,
        index: int,
        step: ThrottleStep,
        event: EventEnvelope,
    ) -> Prepared:
        key = None
        if step.throttle_key is not None:
            scope = condition_scope(run, record.data)
            try:
                key = render(step.throttle_key, scope, limit=MAX_THROTTLE_KEY_CHARS)
            except TemplateError as exc:
                return Prepared(error=f"throttle_key: {exc}")
        passed = self.throttles.admit(
            record.workspace,
            throttle_key(step.scope, run.recipient, key),
            step.period_ms(),
            step.max_allowed,
            f"{record.id}/{index}",
            event.occurred_ms,  # the same on every redelivery: the same window
        )
        return Prepared(throttled=not passed)

    def _prepare_invoke(
        self, record: MessageState, run: AutomationRun, index: int, step: InvokeStep
    ) -> Prepared:
        """Checks again what was checked at invoke time (templates change), and lists the
        run to come before it is made, as the api does."""
        path = (*run.invoked_by, *([run.template_id] if run.template_id else []))
        try:
            InvokeChecker(self.documents, record.workspace).check(
                [step.model_dump(by_alias=True)], path, run.depth, "invoke"
            )
        except ValidationFailed as exc:
            return Prepared(error=f"invoke: {exc.errors[0].reason}")
        stored = self.documents.get(record.workspace, template_path(step.template))
        if stored is None:
            return Prepared(error=f"invoke: no automation template {step.template!r}")
        self.documents.put(
            record.workspace,
            runs_index_path(child_run_id(record.id, index)),
            {"created_ms": self.clock(), "template_id": step.template},
        )
        return Prepared(invoked=stored, invoked_path=path)

    def _update_profile(self, workspace: str, user_id: str, step: UpdateProfileStep) -> None:
        at = self.clock()

        def updated(current: Document | None) -> Document | None:
            if step.merge == "none" and current is not None:
                return None  # only a user without a profile gets one
            stored: dict[str, Any] = (current or {}).get("profile", {})
            profile = merged(stored, step.profile, step.merge)
            created = (current or {}).get("created_ms", at)
            return {"profile": profile, "created_ms": created, "updated_ms": at}

        self.documents.update(workspace, profile_path(user_id), updated)

    def decide(
        self, current: MessageState, index: int, canceled: bool, prepared: Prepared
    ) -> Transition | None:
        run = current.automation
        if run is None or run.ended or run.next_step != index:
            return None
        at = self.clock()
        run = run.model_copy(deep=True)
        state = run.steps[index]
        state.started_ms = state.started_ms or at
        state.updated_ms = run.updated_ms = at
        if canceled:
            for later in run.steps[index:]:
                if later.status in (StepStatus.PENDING, StepStatus.WAITING):
                    later.status = StepStatus.CANCELED
            run.status, run.reason = RunStatus.CANCELED, "its cancelation token was canceled"
            return Transition(self._stored(current, run), [])
        if prepared.error is not None:
            return self._failed(current, run, index, prepared.error)
        if prepared.skip:
            state.skip_reason = prepared.skip_reason
            step = state.parsed()
            if isinstance(step, BranchStep | ExperimentStep):  # none of its ways runs
                _skip_ways(run, index, step, None, "its node's conditions were not met")
            return self._next(current, run, index, StepStatus.SKIPPED)
        if prepared.arm is not None:
            step = state.parsed()
            assert isinstance(step, BranchStep | ExperimentStep)
            state.outcome = prepared.outcome
            _skip_ways(run, index, step, prepared.arm, f"step {index} took {prepared.outcome}")
            return self._next(current, run, index, StepStatus.PROCESSED)
        if prepared.throttled:
            step = state.parsed()
            assert isinstance(step, ThrottleStep)
            state.status, run.status = StepStatus.THROTTLED, RunStatus.THROTTLED
            run.reason = (
                f"step {index}: throttled, at most {step.max_allowed} per {step.period}"
                f" ({step.scope}{', ' + step.throttle_key if step.throttle_key else ''})"
            )
            return Transition(self._stored(current, run), [])
        if prepared.batch is not None:
            return self._batched(current, run, index, prepared.batch)
        step = state.parsed()
        data = current.data
        children: list[tuple[MessageState, list[NewEvent]]] = []
        if prepared.batch_items is not None:
            items = prepared.batch_items
            data = {**current.data, "batch": {"items": items, "count": len(items)}}
            if (size := value_size(data)) > MAX_RUN_DATA_BYTES:
                return self._failed(
                    current, run, index, f"batch: the run's data would be {size:,} bytes"
                )
            return self._next(current, run, index, StepStatus.PROCESSED, [], data)
        if isinstance(step, BatchStep):
            return None  # waiting for its window: only the window's end goes on
        if isinstance(step, ExitStep):
            for later in run.steps[index + 1 :]:
                if later.status == StepStatus.PENDING:
                    later.status, later.skip_reason = (
                        StepStatus.SKIPPED,
                        f"the run exited at step {index}",
                    )
            return self._next(current, run, index, StepStatus.PROCESSED)
        if isinstance(step, DelayStep) and state.status == StepStatus.PENDING:
            state.status, state.due_ms = StepStatus.WAITING, delay_due_ms(step, "delay", at)
            run.status = RunStatus.WAITING
            wait = AutomationStepDue(step=index, not_before_ms=state.due_ms)
            return Transition(self._stored(current, run), [NewEvent(STEP_DUE, wait)])
        try:
            if isinstance(step, SendStep | SendListStep):
                children.append(self._message(current, run, index, step, at))
                state.message_id = children[0][0].id
            elif isinstance(step, AddToDigestStep):
                assert prepared.digest_template is not None
                item = SendStep(action="send", template=prepared.digest_template)
                topic = step.subscription_topic_id
                children.append(self._message(current, run, index, item, at, topic))
                state.message_id = children[0][0].id
            elif isinstance(step, FetchDataStep):
                assert prepared.fetched is not None
                data = merged(current.data, prepared.fetched, step.merge_strategy)
                if (size := value_size(data)) > MAX_RUN_DATA_BYTES:
                    raise ValueError(
                        f"fetch-data: the run's data would be {size:,} bytes;"
                        f" at most {MAX_RUN_DATA_BYTES:,}"
                    )
            elif isinstance(step, InvokeStep):
                assert prepared.invoked is not None
                children.append(self._child_run(current, run, index, step, prepared, at))
                state.run_id = children[0][0].id
        except (ValidationFailed, ValueError) as exc:  # checked when invoked: only a change since
            return self._failed(current, run, index, str(exc))
        return self._next(current, run, index, StepStatus.PROCESSED, children, data)

    def _batched(
        self, current: MessageState, run: AutomationRun, index: int, joined: Joined
    ) -> Transition:
        """The owner of a batch waits for its window's end on the durable timer; every other
        member ends here, collected into the owner's run."""
        state = run.steps[index]
        state.batch_id = joined.batch_id
        if joined.owner != current.id:
            state.run_id = joined.owner
            state.status, run.status = StepStatus.BATCHED, RunStatus.BATCHED
            run.reason = f"step {index}: batched into run {joined.owner}"
            return Transition(self._stored(current, run), [])
        state.status, state.due_ms = StepStatus.WAITING, joined.ends_ms
        run.status = RunStatus.WAITING
        wait = AutomationStepDue(step=index, not_before_ms=joined.ends_ms)
        return Transition(self._stored(current, run), [NewEvent(STEP_DUE, wait)])

    def _failed(
        self, current: MessageState, run: AutomationRun, index: int, error: str
    ) -> Transition:
        """The step failed, with its reason; the run ends with it. Nothing is retried."""
        state = run.steps[index]
        state.status, state.error = StepStatus.ERROR, error
        run.status, run.reason = RunStatus.ERROR, f"step {index}: {error}"
        logs.info("automation step failed", run_id=current.id, step=index, error=error)
        return Transition(self._stored(current, run), [])

    def _next(
        self,
        current: MessageState,
        run: AutomationRun,
        index: int,
        status: StepStatus,
        children: list[tuple[MessageState, list[NewEvent]]] | None = None,
        data: dict[str, Any] | None = None,
    ) -> Transition:
        run.steps[index].status = status
        # The next step not decided yet: a branch's ways not taken were skipped.
        run.next_step = next(
            (
                later
                for later in range(index + 1, len(run.steps))
                if run.steps[later].status == StepStatus.PENDING
            ),
            len(run.steps),
        )
        events: list[NewEvent] = []
        if run.next_step < len(run.steps):
            run.status = RunStatus.PROCESSING
            events.append(NewEvent(STEP_DUE, AutomationStepDue(step=run.next_step)))
        else:
            run.status = RunStatus.PROCESSED
        return Transition(self._stored(current, run, data), events, children or [])

    @staticmethod
    def _stored(
        current: MessageState, run: AutomationRun, data: dict[str, Any] | None = None
    ) -> MessageState:
        update: dict[str, Any] = {"automation": run, "status": RECORD_STATUS[run.status]}
        if data is not None:
            update["data"] = data
        return current.model_copy(update=update)

    def _child_run(
        self,
        record: MessageState,
        run: AutomationRun,
        index: int,
        step: InvokeStep,
        prepared: Prepared,
        at: int,
    ) -> tuple[MessageState, list[NewEvent]]:
        """The run an invoke step starts: the stored template's steps, checked again, with
        this run's recipient, profile, brand, template and data."""
        stored = prepared.invoked
        assert stored is not None
        automation: dict[str, Any] = {"steps": stored["steps"]}
        if stored.get("cancelation_token"):
            automation["cancelation_token"] = stored["cancelation_token"]
        steps = check_automation(automation, at, f"invoke {step.template}")
        child_id = child_run_id(record.id, index)
        child = run.model_copy(
            update={
                "template_id": step.template,
                "cancelation_token": automation.get("cancelation_token"),
                "status": RunStatus.PROCESSING,
                "next_step": 0,
                "steps": [StepState(step=s) for s in steps],
                "invoked_ms": at,
                "updated_ms": None,
                "reason": None,
                "depth": run.depth + 1,
                "invoked_by": list(prepared.invoked_path),
                "parent_run_id": record.id,
            },
            deep=True,
        )
        check_run(child, record.data, f"invoke {step.template}", self.allow_private)
        message = MessageState(
            id=child_id,
            workspace=record.workspace,
            request_id=child_id,
            recipient=record.recipient,
            content={},
            data=record.data,
            enqueued_ms=at,
            traceparent=record.traceparent,
            automation=child,
        )
        logs.info("automation step invokes", run_id=record.id, step=index, child_run_id=child_id)
        return message, [NewEvent(STEP_DUE, AutomationStepDue(step=0))]

    @staticmethod
    def _message(
        record: MessageState,
        run: AutomationRun,
        index: int,
        step: SendStep | SendListStep,
        at: int,
        topic: str | None = None,
    ) -> tuple[MessageState, list[NewEvent]]:
        """The message a send step makes, as ``POST /send`` would store it; a send-list
        step's is the list send's own record, which fans out as a list send does."""
        if isinstance(step, SendStep):
            request = parse_send(send_body(run, record.data, step, topic))
            recipient = request.message.recipients()[0].model_dump(
                mode="json", exclude_defaults=True, by_alias=True
            )
            fanout = None
        else:
            request = parse_send(send_list_body(run, record.data, step))
            recipient, fanout = {}, FanOut(list_id=step.list)
        message_id = message_id_for(record.id, {"automation_step": index})
        message = message_template(request, record.workspace, message_id, at).model_copy(
            update={
                "id": message_id,
                "recipient": recipient,
                "fanout": fanout,
                "traceparent": record.traceparent,
                "automation_run_id": record.id,
            }
        )
        logs.info("automation step sends", run_id=record.id, step=index, message_id=message_id)
        return message, [enqueued_event(message)]


def _window_ended(state: StepState, due: AutomationStepDue) -> bool:
    """Whether the event is the batch step's own wait, come when its window ended (not a
    redelivery of the event that joined the batch, which must not release it)."""
    return (
        due.not_before_ms is not None
        and state.due_ms is not None
        and due.not_before_ms >= state.due_ms
    )


def child_run_id(run_id: str, index: int) -> str:
    """The id of the run an invoke step starts: the same on every redelivery."""
    return message_id_for(run_id, {"automation_invoke": index})


def _branch_taken(step: BranchStep, scope: dict[str, Any]) -> Prepared:
    """The first path whose conditions hold, else the default."""
    for index, path in enumerate(step.paths):
        assert path.conditions is not None, "checked when invoked"
        try:
            met = conditions_met(path.conditions, scope)
        except TemplateError as exc:
            return Prepared(error=f"paths[{index}].conditions: {exc}")
        if met:
            name = path.label or f"path {index + 1}"
            return Prepared(
                arm=index, outcome=f"{name!r}: its conditions hold ({describe(path.conditions)})"
            )
    name = step.default.label or "default"
    return Prepared(arm=len(step.paths), outcome=f"{name!r}: no path's conditions hold")


def _variant_taken(step: ExperimentStep, scope: dict[str, Any]) -> Prepared:
    """The variant the rendered bucketing key hashes to: the same for the same key."""
    try:
        bucket = render(step.bucketing_key, scope, limit=MAX_BUCKETING_KEY_CHARS)
    except TemplateError as exc:
        return Prepared(error=f"bucketing_key: {exc}")
    if not bucket:
        return Prepared(error="bucketing_key: renders to nothing for this run")
    index, point = step.variant_for(bucket)
    variant = step.variants[index]
    weights = ", ".join(f"{v.id}={v.weight:g}" for v in step.variants)
    return Prepared(
        arm=index,
        outcome=f"variant {variant.id!r}: bucket {point:.4f} of weights {weights}",
    )


def _skip_ways(
    run: AutomationRun,
    index: int,
    step: BranchStep | ExperimentStep,
    taken: int | None,
    reason: str,
) -> None:
    """Skips the steps of each way of the fork at ``index`` but the one ``taken``."""
    start = index + 1
    for arm, size in enumerate(step.arm_sizes()):
        if arm != taken:
            for later in run.steps[start : start + size]:
                if later.status == StepStatus.PENDING:
                    later.status, later.skip_reason = StepStatus.SKIPPED, reason
        start += size
