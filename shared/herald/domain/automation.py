"""Courier's automations: a run of steps (send, delay, cancel, update-profile) for one
recipient, its stored state and the rules for reading what a caller wrote.

Everything a run will do is checked when it is invoked: an unknown action, a duration
Herald cannot read or a wait past the longest delay is a 400 naming
``automation.steps[<i>].<field>``, never a failure found hours later.
"""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from herald.domain.send import MAX_DELAY_MS, check_identifier, storable
from herald.errors import FieldError, ValidationFailed

MAX_STEPS = 50  # per automation: each is a transaction and an event
MAX_DURATION_CHARS = 64
MAX_TOKEN_CHARS = 256

_UNIT_MS = {
    "millisecond": 1,
    "second": 1000,
    "minute": 60 * 1000,
    "hour": 3600 * 1000,
    "day": 24 * 3600 * 1000,
    "week": 7 * 24 * 3600 * 1000,
}


def duration_ms(text: str) -> int:
    """Courier's durations ("5 minutes", "2 hours", "1 day"): a whole number and a unit,
    singular or plural. A ``ValueError`` says what is wrong."""
    if len(text) > MAX_DURATION_CHARS:
        raise ValueError(f"is longer than {MAX_DURATION_CHARS} characters")
    parts = text.split()
    if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit():
        raise ValueError('must be a whole number and a unit, like "5 minutes" or "2 hours"')
    unit = parts[1].lower().removesuffix("s")
    if unit not in _UNIT_MS:
        raise ValueError(f"has unknown unit {parts[1]!r}; use one of {', '.join(_UNIT_MS)}(s)")
    figure = int(parts[0]) * _UNIT_MS[unit]
    if figure <= 0:
        raise ValueError("must be longer than nothing")
    if figure > MAX_DELAY_MS:
        raise ValueError("is more than 30 days, the longest delay")
    return figure


def until_ms(text: str, now_ms: int) -> int:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("must be an ISO 8601 date and time, like 2026-12-01T09:00:00Z") from exc
    if moment.tzinfo is None:
        raise ValueError("must say its time zone, like 2026-12-01T09:00:00Z")
    at = int(moment.timestamp() * 1000)
    if at > now_ms + MAX_DELAY_MS:
        raise ValueError("is more than 30 days away, the longest delay")
    return at


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SendStep(_Step):
    action: Literal["send"]
    brand: str | None = None
    data: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    recipient: str | None = None
    template: str | None = None


class DelayStep(_Step):
    action: Literal["delay"]
    duration: str | None = None
    until: str | None = None


class CancelStep(_Step):
    action: Literal["cancel"]
    cancelation_token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)


MergeStrategy = Literal["none", "overwrite", "soft-merge", "replace"]


class UpdateProfileStep(_Step):
    action: Literal["update-profile"]
    profile: dict[str, Any]
    merge: MergeStrategy = "soft-merge"
    recipient_id: str | None = None

    _recipient = field_validator("recipient_id")(classmethod(lambda cls, v: check_identifier(v)))

    @field_validator("profile")
    @classmethod
    def _storable(cls, profile: dict[str, Any]) -> dict[str, Any]:
        storable(profile)
        return profile


Step = SendStep | DelayStep | CancelStep | UpdateProfileStep
STEP_MODELS: dict[str, type[Step]] = {
    "send": SendStep,
    "delay": DelayStep,
    "cancel": CancelStep,
    "update-profile": UpdateProfileStep,
}


def parse_step(raw: Any, field: str) -> Step:
    """One step, or a ``ValidationFailed`` naming ``field.<its field>``."""
    if not isinstance(raw, dict):
        raise ValidationFailed.of(field, "must be an object with an action")
    action = raw.get("action")
    model = STEP_MODELS.get(action) if isinstance(action, str) else None
    if model is None:
        raise ValidationFailed.of(
            f"{field}.action", f"must be one of {', '.join(STEP_MODELS)} (got {action!r})"
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            [
                FieldError(
                    f"{field}.{'.'.join(str(p) for p in error['loc'])}" if error["loc"] else field,
                    error["msg"].removeprefix("Value error, "),
                )
                for error in exc.errors()
            ]
        ) from exc


def delay_due_ms(step: DelayStep, field: str, now_ms: int) -> int:
    """When a delay that starts at ``now_ms`` ends; the later of the two when both are given."""
    if step.duration is None and step.until is None:
        raise ValidationFailed.of(f"{field}.duration", "a delay needs a duration or an until")
    due = now_ms
    if step.duration is not None:
        try:
            due = now_ms + duration_ms(step.duration)
        except ValueError as exc:
            raise ValidationFailed.of(f"{field}.duration", str(exc)) from exc
    if step.until is not None:
        try:
            due = max(due, until_ms(step.until, now_ms))
        except ValueError as exc:
            raise ValidationFailed.of(f"{field}.until", str(exc)) from exc
    return due


class RunStatus(StrEnum):
    PROCESSING = "PROCESSING"
    WAITING = "WAITING"  # in a delay, on the durable timer
    PROCESSED = "PROCESSED"
    CANCELED = "CANCELED"
    ERROR = "ERROR"


RUN_ENDS = frozenset({RunStatus.PROCESSED, RunStatus.CANCELED, RunStatus.ERROR})


class StepStatus(StrEnum):
    PENDING = "PENDING"
    WAITING = "WAITING"
    PROCESSED = "PROCESSED"
    CANCELED = "CANCELED"
    ERROR = "ERROR"


class StepState(BaseModel):
    """One step of a run: what was asked, and what came of it."""

    step: dict[str, Any]  # as the caller wrote it, checked
    status: StepStatus = StepStatus.PENDING
    message_id: str | None = None  # the message a send step made
    due_ms: int | None = None  # when a delay step's wait ends
    started_ms: int | None = None
    updated_ms: int | None = None
    error: str | None = None

    @property
    def action(self) -> str:
        return str(self.step["action"])

    def parsed(self) -> Step:
        return STEP_MODELS[self.action].model_validate(self.step)


class AutomationRun(BaseModel):
    """The run's own state, kept on its record (see ``MessageState.automation``)."""

    template_id: str | None = None  # the stored automation invoked, if one was
    cancelation_token: str | None = None
    status: RunStatus = RunStatus.PROCESSING
    next_step: int = 0  # the index of the step to run next
    steps: list[StepState]
    # The run's context, as Courier's invoke takes it; each send step may override it.
    recipient: str | None = None
    profile: dict[str, Any] = Field(default_factory=dict)
    brand: str | None = None
    template: str | None = None
    invoked_ms: int
    updated_ms: int | None = None
    reason: str | None = None  # why a run ended in ERROR or CANCELED

    @property
    def ended(self) -> bool:
        return self.status in RUN_ENDS
