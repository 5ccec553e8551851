"""Courier's automations: a run of steps (send, send-list, delay, cancel, update-profile,
fetch-data, invoke, throttle, batch) for one recipient, its stored state and the rules for reading what a
caller wrote.

Everything a run will do is checked when it is invoked: an unknown action, a duration
Herald cannot read or a wait past the longest delay is a 400 naming
``automation.steps[<i>].<field>``, never a failure found hours later.
"""

from __future__ import annotations

import datetime
import hashlib
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from herald.domain.send import MAX_CONDITION_CHARS, MAX_DELAY_MS, check_identifier, storable
from herald.errors import FieldError, ValidationFailed

MAX_STEPS = 50  # per automation: each is a transaction and an event
MAX_DURATION_CHARS = 64
MAX_TOKEN_CHARS = 256
MAX_INVOKE_DEPTH = 5  # runs invoking runs: the first run is at depth 0
MAX_FETCH_URL_CHARS = 2048
MAX_THROTTLE_ALLOWED = 1000  # a throttle's window keeps the runs it let through
MAX_THROTTLE_KEY_CHARS = 256
MAX_FETCH_BODY_CHARS = 16 * 1024  # a fetch's request body, within the invoke's
MAX_BATCH_ITEMS = 1000  # a batch's document holds each run's data
MAX_BATCH_KEY_CHARS = 256
MAX_BRANCH_PATHS = 10  # a branch's paths, its default besides
MAX_VARIANTS = 10  # an experiment's, as Courier allows
MAX_VARIANT_WEIGHT = 1_000_000
MAX_LABEL_CHARS = 128  # a path's label, an experiment's or a variant's id and name
MAX_BUCKETING_KEY_CHARS = 256

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
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # Courier's ``if``: the step runs only when this template expression is truthy
    # (checked when invoked, evaluated in the templates' sandbox when the step is due).
    condition: str | None = Field(
        default=None, alias="if", min_length=1, max_length=MAX_CONDITION_CHARS
    )
    # Courier's journey ``conditions`` (``domain.journey_conditions``, checked when
    # invoked): the step runs only when they hold.
    conditions: list[str] | dict[str, Any] | None = None


class SendStep(_Step):
    action: Literal["send"]
    brand: str | None = None
    data: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    recipient: str | None = None
    template: str | None = None


class SendListStep(_Step):
    action: Literal["send-list"]
    list: str
    brand: str | None = None
    data: dict[str, Any] | None = None
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


class FetchWebhook(BaseModel):
    """Courier's ``webhook`` of a fetch-data step: the request to make."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    url: str = Field(min_length=1, max_length=MAX_FETCH_URL_CHARS)
    body: str | None = Field(default=None, max_length=MAX_FETCH_BODY_CHARS)
    headers: dict[str, str] | None = None


class FetchDataStep(_Step):
    action: Literal["fetch-data"]
    webhook: FetchWebhook
    merge_strategy: MergeStrategy = "replace"


class InvokeStep(_Step):
    """Runs a stored automation template as a run of its own, with this run's context."""

    action: Literal["invoke"]
    template: str

    _template = field_validator("template")(classmethod(lambda cls, v: check_identifier(v)))


class ThrottleStep(_Step):
    """At most ``max_allowed`` runs pass this step per ``period`` and key (Courier's
    throttle node): the key is the recipient (scope ``user``), the workspace
    (``global``) or ``throttle_key`` alone (``dynamic``), with ``throttle_key`` (a
    template over the run's data) when given. The excess ends its run ``THROTTLED``."""

    action: Literal["throttle"]
    max_allowed: int = Field(ge=1, le=MAX_THROTTLE_ALLOWED)
    period: str
    scope: Literal["user", "global", "dynamic"] = "user"
    throttle_key: str | None = Field(default=None, min_length=1, max_length=MAX_THROTTLE_KEY_CHARS)

    @field_validator("period")
    @classmethod
    def _period(cls, period: str) -> str:
        duration_ms(period)
        return period

    def period_ms(self) -> int:
        return duration_ms(self.period)


class BatchStep(_Step):
    """Collects the runs reaching this step with the same ``batch_key`` (a template over the
    run's data) in one ``window``, and continues the first of them once, when the window
    ends, with every run's data in ``data.batch.items``; the others end ``BATCHED``."""

    action: Literal["batch"]
    window: str
    batch_key: str | None = Field(default=None, min_length=1, max_length=MAX_BATCH_KEY_CHARS)
    max_items: int = Field(default=100, ge=1, le=MAX_BATCH_ITEMS)

    @field_validator("window")
    @classmethod
    def _window(cls, window: str) -> str:
        duration_ms(window)
        return window

    def window_ms(self) -> int:
        return duration_ms(self.window)


class BranchPath(BaseModel):
    """One way a branch may go: the steps right after the branch step, in order of its
    paths then its default, ``steps`` of them for each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conditions: list[str] | dict[str, Any] | None = None  # None: the default
    label: str | None = Field(default=None, max_length=MAX_LABEL_CHARS)
    steps: int = Field(ge=0, le=MAX_STEPS)


class BranchStep(_Step):
    """Courier's branch node: the first path whose conditions hold, else the default;
    the steps of the ways not taken are skipped."""

    action: Literal["branch"]
    paths: list[BranchPath] = Field(min_length=1, max_length=MAX_BRANCH_PATHS)
    default: BranchPath

    def arm_sizes(self) -> list[int]:
        return [path.steps for path in (*self.paths, self.default)]


class ExperimentVariant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=MAX_LABEL_CHARS)
    template: str
    weight: float = Field(ge=0, le=MAX_VARIANT_WEIGHT, allow_inf_nan=False)
    name: str | None = Field(default=None, max_length=MAX_LABEL_CHARS)

    _template = field_validator("template")(classmethod(lambda cls, v: check_identifier(v)))


class ExperimentStep(_Step):
    """Courier's experiment on a send node: one variant's send of those right after this
    step (one each), chosen by a stable hash of ``experiment_id`` and the rendered
    ``bucketing_key``, in proportion to the weights: the same run (or recipient, with
    ``{{recipient}}``) takes the same variant however often it is asked."""

    action: Literal["experiment"]
    experiment_id: str = Field(min_length=1, max_length=MAX_LABEL_CHARS)
    bucketing_key: str = Field(min_length=1, max_length=MAX_BUCKETING_KEY_CHARS)
    variants: list[ExperimentVariant] = Field(min_length=2, max_length=MAX_VARIANTS)

    @field_validator("variants")
    @classmethod
    def _weighed(cls, variants: list[ExperimentVariant]) -> list[ExperimentVariant]:
        if len({v.id for v in variants}) != len(variants):
            raise ValueError("each variant's id must be its own")
        if sum(v.weight for v in variants) <= 0:
            raise ValueError("the weights must add up to more than 0")
        return variants

    def arm_sizes(self) -> list[int]:
        return [1] * len(self.variants)

    def variant_for(self, bucket: str) -> tuple[int, float]:
        """The variant for a rendered bucketing key, and the point in [0, 1) it hashed to."""
        digest = hashlib.sha256(f"{self.experiment_id}\x00{bucket}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64
        total = sum(v.weight for v in self.variants)
        reached = 0.0
        for index, variant in enumerate(self.variants):
            reached += variant.weight / total
            if point < reached and variant.weight > 0:
                return index, point
        # Rounding left the point past the last share: the last variant with a weight.
        return max(i for i, v in enumerate(self.variants) if v.weight > 0), point


class AddToDigestStep(_Step):
    """Courier's add-to-digest node: the run's data sent to its recipient as an item of the
    topic's digest (the topic's digest template, collected by the render stage as any
    send to the topic is), released on the topic's schedule."""

    action: Literal["add-to-digest"]
    subscription_topic_id: str

    _topic = field_validator("subscription_topic_id")(
        classmethod(lambda cls, v: check_identifier(v))
    )


class ExitStep(_Step):
    """Courier's exit node inside a branch's way: the run ends there, what follows skipped."""

    action: Literal["exit"]


ForkStep = BranchStep | ExperimentStep

Step = (
    SendStep
    | SendListStep
    | DelayStep
    | CancelStep
    | UpdateProfileStep
    | FetchDataStep
    | InvokeStep
    | ThrottleStep
    | BatchStep
    | BranchStep
    | ExperimentStep
    | ExitStep
    | AddToDigestStep
)
STEP_MODELS: dict[str, type[Step]] = {
    "send": SendStep,
    "send-list": SendListStep,
    "delay": DelayStep,
    "cancel": CancelStep,
    "update-profile": UpdateProfileStep,
    "fetch-data": FetchDataStep,
    "invoke": InvokeStep,
    "throttle": ThrottleStep,
    "batch": BatchStep,
    "branch": BranchStep,
    "experiment": ExperimentStep,
    "exit": ExitStep,
    "add-to-digest": AddToDigestStep,
}


def merged(
    current: dict[str, Any], given: dict[str, Any], strategy: MergeStrategy
) -> dict[str, Any]:
    """Courier's merge strategies, for a profile or a run's data: ``replace`` takes what is
    given; ``overwrite`` its keys over the current ones; ``soft-merge`` only the keys not
    there yet; ``none`` takes it only when there is nothing yet."""
    if strategy == "replace":
        return dict(given)
    if strategy == "overwrite":
        return {**current, **given}
    if strategy == "soft-merge":
        return {**given, **current}
    return dict(current) if current else dict(given)


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
    THROTTLED = "THROTTLED"  # a throttle step's limit was reached
    BATCHED = "BATCHED"  # a batch step collected it into another run's batch


RUN_ENDS = frozenset(
    {
        RunStatus.PROCESSED,
        RunStatus.CANCELED,
        RunStatus.ERROR,
        RunStatus.THROTTLED,
        RunStatus.BATCHED,
    }
)


class StepStatus(StrEnum):
    PENDING = "PENDING"
    WAITING = "WAITING"
    PROCESSED = "PROCESSED"
    SKIPPED = "SKIPPED"  # its ``if`` was false, or a branch went another way
    CANCELED = "CANCELED"
    ERROR = "ERROR"
    THROTTLED = "THROTTLED"
    BATCHED = "BATCHED"  # collected into another run's batch (its ``run_id``)


class StepState(BaseModel):
    """One step of a run: what was asked, and what came of it."""

    step: dict[str, Any]  # as the caller wrote it, checked
    status: StepStatus = StepStatus.PENDING
    message_id: str | None = None  # the message a send step made (a list send's record)
    run_id: str | None = None  # the run an invoke step started; a batch step's batching run
    node_id: str | None = None  # the journey node this step stands for
    due_ms: int | None = None  # when a delay step's wait ends, or a batch step's window
    batch_id: str | None = None  # the batch a batch step joined
    started_ms: int | None = None
    updated_ms: int | None = None
    error: str | None = None
    outcome: str | None = None  # the way a branch or an experiment took, and why
    skip_reason: str | None = None  # why a skipped step did not run

    @property
    def action(self) -> str:
        return str(self.step["action"])

    def parsed(self) -> Step:
        return STEP_MODELS[self.action].model_validate(self.step)


class AutomationRun(BaseModel):
    """The run's own state, kept on its record (see ``MessageState.automation``)."""

    template_id: str | None = None  # the stored automation invoked, if one was
    journey_id: str | None = None  # the journey invoked, if one was
    journey_version: str | None = None  # its published version the run follows
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
    # Runs started by an invoke step: how deep, and the templates above (no cycles).
    depth: int = 0
    invoked_by: list[str] = Field(default_factory=list)
    parent_run_id: str | None = None
    updated_ms: int | None = None
    reason: str | None = None  # why a run ended in ERROR or CANCELED

    @property
    def ended(self) -> bool:
        return self.status in RUN_ENDS
