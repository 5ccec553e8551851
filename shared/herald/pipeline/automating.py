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
from collections.abc import Callable
from typing import Any

from herald.clock import now_ms
from herald.domain.automation import (
    MAX_STEPS,
    MAX_TOKEN_CHARS,
    AutomationRun,
    CancelStep,
    DelayStep,
    RunStatus,
    SendStep,
    StepState,
    StepStatus,
    UpdateProfileStep,
    delay_due_ms,
    parse_step,
)
from herald.domain.message import MessageState, RequestRecord
from herald.domain.send import check_identifier, storable
from herald.domain.status import MessageStatus
from herald.errors import FieldError, ValidationFailed
from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.payloads import AutomationInvoked, AutomationStepDue
from herald.ids import message_id_for, new_request_id
from herald.observability import logs, tracing
from herald.pipeline.accepting import enqueued_event, message_template, parse_send
from herald.pipeline.ignoring import note_ignored
from herald.resources.automations import (
    AutomationTemplateBody,
    AutomationTemplates,
    runs_index_path,
)
from herald.resources.parsing import parse_body
from herald.resources.profiles import profile_addresses, profile_path
from herald.store.base import MessageRepository, ScheduledEvent, TimerRepository, Transition
from herald.store.documents import Document, DocumentStore

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
}


def cancelation_path(token: str) -> tuple[str, str]:
    """A token's cancel record; hashed, since a caller's token is no document id."""
    return ("automation_cancelations", hashlib.sha256(token.encode()).hexdigest())


def send_body(run: AutomationRun, data: dict[str, Any], step: SendStep) -> dict[str, Any]:
    """The ``POST /send`` body a send step stands for: the step's values over the run's."""
    profile = {**run.profile, **(step.profile or {})}
    to: dict[str, Any] = {**profile_addresses(profile)}
    if recipient := step.recipient or run.recipient:
        to["user_id"] = recipient
    message: dict[str, Any] = {"to": to, "data": {**data, **(step.data or {})}}
    if template := step.template or run.template:
        message["template"] = template
    if brand := step.brand or run.brand:
        message["brand_id"] = brand
    return {"message": message}


def _check_send(run: AutomationRun, data: dict[str, Any], step: SendStep, field: str) -> None:
    if not (step.recipient or run.recipient):
        raise ValidationFailed.of(
            f"{field}.recipient", "a send step needs a recipient (its own or the run's)"
        )
    if not (step.template or run.template):
        raise ValidationFailed.of(
            f"{field}.template", "a send step needs a template (its own or the run's)"
        )
    try:
        parse_send(send_body(run, data, step))
    except ValidationFailed as exc:
        raise ValidationFailed(
            [FieldError(field, f"would send {e.field}: {e.reason}") for e in exc.errors]
        ) from exc


def check_automation(raw: Any, at: int, field: str = "automation") -> list[dict[str, Any]]:
    """The steps of ``{steps, cancelation_token}``, each checked; a 400 naming the field."""
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
    checked = []
    for index, given in enumerate(steps):
        step_field = f"{field}.steps[{index}]"
        step = parse_step(given, step_field)
        if isinstance(step, DelayStep):
            delay_due_ms(step, step_field, at)
        checked.append(step.model_dump(mode="json", exclude_none=True))
    return checked


INVOKE_FIELDS = frozenset({"automation", "brand", "data", "profile", "recipient", "template"})


class AutomationInvoker:
    """The api's side: checks a run, stores it with its first event, answers its id."""

    def __init__(self, messages: MessageRepository, documents: DocumentStore) -> None:
        self.messages = messages
        self.documents = documents
        self.templates = AutomationTemplates(documents)

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
    ) -> str:
        if not isinstance(body, dict):
            raise ValidationFailed.of("body", "must be a JSON object")
        if unknown := sorted(set(body) - INVOKE_FIELDS):
            raise ValidationFailed.of(unknown[0], "is not a field of an invoke")
        at = now_ms()
        steps = check_automation(automation, at, automation_field)
        run = AutomationRun(
            template_id=template_id,
            cancelation_token=automation.get("cancelation_token"),
            steps=[StepState(step=step) for step in steps],
            recipient=_text(body, "recipient", identifier=True),
            profile=_object(body, "profile"),
            brand=_text(body, "brand", identifier=True),
            template=_text(body, "template", identifier=True),
            invoked_ms=at,
        )
        data = _object(body, "data")
        for index, state in enumerate(run.steps):
            step, step_field = state.parsed(), f"{automation_field}.steps[{index}]"
            if isinstance(step, SendStep):
                _check_send(run, data, step, step_field)
            elif isinstance(step, UpdateProfileStep) and not (step.recipient_id or run.recipient):
                raise ValidationFailed.of(
                    f"{step_field}.recipient_id",
                    "an update-profile step needs a recipient_id (its own or the run's recipient)",
                )
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
        self.documents.put(
            workspace,
            runs_index_path(run_id),
            {"created_ms": at, "template_id": template_id},
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


class AutomationRunner:
    """The ``automate`` function's service: one step per event, exactly once."""

    consumer = CONSUMER

    def __init__(
        self,
        messages: MessageRepository,
        timers: TimerRepository,
        documents: DocumentStore,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.messages = messages
        self.timers = timers
        self.documents = documents
        self.clock = clock

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
        if not canceled and state.status == StepStatus.PENDING:
            self._side_effect(record, state, event)
        applied = self.messages.transition(
            event.workspace,
            event.message_id,
            self.consumer,
            event.id,
            lambda current: self.decide(current, due.step, canceled, event),
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

    def _side_effect(self, record: MessageState, state: StepState, event: EventEnvelope) -> None:
        """What a step does outside the run's record, before its transition. Each is
        idempotent: a redelivery before the transition committed does it again, to the
        same effect."""
        step = state.parsed()
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
            run = record.automation
            assert run is not None
            user_id = step.recipient_id or run.recipient
            assert user_id is not None, "checked when invoked"
            self._update_profile(record.workspace, user_id, step)

    def _update_profile(self, workspace: str, user_id: str, step: UpdateProfileStep) -> None:
        at = self.clock()

        def merged(current: Document | None) -> Document | None:
            stored: dict[str, Any] = (current or {}).get("profile", {})
            if step.merge == "none" and current is not None:
                return None  # only a user without a profile gets one
            if step.merge == "replace" or current is None:
                profile = dict(step.profile)
            elif step.merge == "overwrite":
                profile = {**stored, **step.profile}
            else:  # soft-merge: only what the profile does not have yet
                profile = {**step.profile, **stored}
            created = (current or {}).get("created_ms", at)
            return {"profile": profile, "created_ms": created, "updated_ms": at}

        self.documents.update(workspace, profile_path(user_id), merged)

    def decide(
        self, current: MessageState, index: int, canceled: bool, event: EventEnvelope
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
                later.status = StepStatus.CANCELED
            run.status, run.reason = RunStatus.CANCELED, "its cancelation token was canceled"
            return Transition(self._stored(current, run), [])
        step = state.parsed()
        children: list[tuple[MessageState, list[NewEvent]]] = []
        if isinstance(step, DelayStep) and state.status == StepStatus.PENDING:
            state.status, state.due_ms = StepStatus.WAITING, delay_due_ms(step, "delay", at)
            run.status = RunStatus.WAITING
            wait = AutomationStepDue(step=index, not_before_ms=state.due_ms)
            return Transition(self._stored(current, run), [NewEvent(STEP_DUE, wait)])
        if isinstance(step, SendStep):
            try:
                children.append(self._message(current, run, index, step, at))
            except ValidationFailed as exc:  # checked when invoked: only a change since
                state.status, state.error = StepStatus.ERROR, str(exc)
                run.status, run.reason = RunStatus.ERROR, f"step {index}: {exc}"
                return Transition(self._stored(current, run), [])
            state.message_id = children[0][0].id
        state.status = StepStatus.PROCESSED
        run.next_step = index + 1
        events: list[NewEvent] = []
        if run.next_step < len(run.steps):
            run.status = RunStatus.PROCESSING
            events.append(NewEvent(STEP_DUE, AutomationStepDue(step=run.next_step)))
        else:
            run.status = RunStatus.PROCESSED
        return Transition(self._stored(current, run), events, children)

    @staticmethod
    def _stored(current: MessageState, run: AutomationRun) -> MessageState:
        return current.model_copy(update={"automation": run, "status": RECORD_STATUS[run.status]})

    @staticmethod
    def _message(
        record: MessageState, run: AutomationRun, index: int, step: SendStep, at: int
    ) -> tuple[MessageState, list[NewEvent]]:
        """The message a send step makes, as ``POST /send`` would store it."""
        request = parse_send(send_body(run, record.data, step))
        message_id = message_id_for(record.id, {"automation_step": index})
        message = message_template(request, record.workspace, message_id, at).model_copy(
            update={
                "id": message_id,
                "recipient": request.message.recipients()[0].model_dump(
                    mode="json", exclude_defaults=True, by_alias=True
                ),
                "traceparent": record.traceparent,
                "automation_run_id": record.id,
            }
        )
        logs.info("automation step sends", run_id=record.id, step=index, message_id=message_id)
        return message, [enqueued_event(message)]
