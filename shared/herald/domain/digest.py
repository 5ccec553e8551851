"""Digests: a topic's sends collected per user and released as one message.

A topic with a ``digest`` has one or more schedules (Courier's ``schedules``, each with
its ``schedule_id``); a user is on the topic's default schedule unless their preference
names another (``digest_schedule_id``). An ``instant`` schedule is no digest: a topic
that has one lets its users choose to get each send at once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from herald.domain.send import check_identifier

DigestFrequency = Literal[
    "instant",
    "minutes",
    "hourly",
    "daily",
    "weekdays",
    "weekly",
    "custom_days",
    "monthly",
    "count",  # no time: released when the topic's count_threshold is reached
]
DayOfWeek = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAYS_OF_WEEK: tuple[DayOfWeek, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)  # in the order of ``date.weekday()``
# The fields each frequency takes (and needs); a frequency takes no field of another's.
FREQUENCY_FIELDS: dict[str, frozenset[str]] = {
    "instant": frozenset(),
    "minutes": frozenset({"interval_minutes"}),
    "hourly": frozenset(),
    "daily": frozenset({"time"}),
    "weekdays": frozenset({"time"}),
    "weekly": frozenset({"time", "day_of_week"}),
    "custom_days": frozenset({"time", "days_of_week"}),
    "monthly": frozenset({"time", "day_of_month"}),
    "count": frozenset(),
}

# Bounds of one window: the items kept (the count goes on past them), the bytes of one
# item's data (a larger one is kept without its data), and so what one release carries
# stays within a send's size.
MAX_ITEMS_KEPT = 100
MAX_ITEM_DATA_BYTES = 2 * 1024
MAX_SCHEDULES = 10
MAX_COUNT_THRESHOLD = 10_000
MAX_INTERVAL_MINUTES = 7 * 24 * 60
MAX_TIMEZONE_CHARS = 64

_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_ZONE = re.compile(r"[A-Za-z0-9_+\-/]+")  # no "." (no path out of the zone database)


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError for one that is not."""
    if len(name) > MAX_TIMEZONE_CHARS or not _ZONE.fullmatch(name):
        raise ValueError(f"is not an IANA time zone (e.g. America/New_York): {name[:64]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"is not an IANA time zone (e.g. America/New_York): {name!r}") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value  # Courier's are any case


class DigestSchedule(_Strict):
    """One cadence of a topic's digest."""

    schedule_id: str
    frequency: DigestFrequency
    # Each checked against the frequency above (validated first), absent ones too.
    interval_minutes: int | None = Field(
        default=None, ge=1, le=MAX_INTERVAL_MINUTES, validate_default=True
    )
    time: str | None = Field(default=None, validate_default=True)  # "HH:MM", local
    day_of_week: DayOfWeek | None = Field(default=None, validate_default=True)
    days_of_week: list[DayOfWeek] | None = Field(
        default=None, min_length=1, max_length=7, validate_default=True
    )
    day_of_month: int | None = Field(default=None, ge=1, le=31, validate_default=True)
    timezone: str | None = None  # IANA; absent: the user's profile's, the workspace's, UTC
    is_default: bool = False
    disabled: bool = False

    _id = field_validator("schedule_id")(classmethod(lambda cls, v: check_identifier(v)))
    _days = field_validator("day_of_week", mode="before")(classmethod(lambda cls, v: _lower(v)))

    @field_validator("days_of_week", mode="before")
    @classmethod
    def _days_lower(cls, value: Any) -> Any:
        return [_lower(day) for day in value] if isinstance(value, list) else value

    @field_validator("interval_minutes", "time", "day_of_week", "days_of_week", "day_of_month")
    @classmethod
    def _taken_by_frequency(cls, value: Any, info: ValidationInfo) -> Any:
        frequency = info.data.get("frequency")
        if frequency is None or info.field_name is None:
            return value  # the frequency itself is refused
        needed = info.field_name in FREQUENCY_FIELDS[frequency]
        if needed and value is None:
            raise ValueError(f"a '{frequency}' schedule needs it")
        if not needed and value is not None:
            raise ValueError(f"a '{frequency}' schedule has none")
        return value

    @field_validator("time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and not _TIME.fullmatch(value):
            raise ValueError("must be a 24-hour time HH:MM, e.g. 09:30")
        return value

    @field_validator("days_of_week")
    @classmethod
    def _distinct_days(cls, value: list[DayOfWeek] | None) -> list[DayOfWeek] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("names a day twice")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    def releases_on(self, day: dt.date) -> bool:
        """Whether a window of this day-based schedule ends on ``day`` (at its time)."""
        weekday = DAYS_OF_WEEK[day.weekday()]
        if self.frequency == "weekdays":
            return day.weekday() < 5
        if self.frequency == "weekly":
            return weekday == self.day_of_week
        if self.frequency == "custom_days":
            return weekday in (self.days_of_week or ())
        if self.frequency == "monthly":
            # A day past the month's end (31 in April) is the month's last day.
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(self.day_of_month or 1, last)
        return True  # daily


class TopicDigest(_Strict):
    """A topic's digest: its schedules, the template of a release, its count threshold."""

    schedules: list[DigestSchedule] = Field(min_length=1, max_length=MAX_SCHEDULES)
    # The template a release renders; absent: the template of the sends collected.
    template_id: str | None = None
    # Released as soon as this many items are collected, whatever the schedule.
    count_threshold: int | None = Field(
        default=None, ge=1, le=MAX_COUNT_THRESHOLD, validate_default=True
    )

    _template = field_validator("template_id")(classmethod(lambda cls, v: check_identifier(v)))

    @field_validator("schedules")
    @classmethod
    def _one_default(cls, schedules: list[DigestSchedule]) -> list[DigestSchedule]:
        ids = [s.schedule_id for s in schedules]
        if len(set(ids)) != len(ids):
            raise ValueError("names a schedule_id twice")
        if sum(s.is_default for s in schedules) > 1:
            raise ValueError("has more than one is_default")
        if all(s.disabled for s in schedules):
            raise ValueError("must have one not disabled")
        return schedules

    @field_validator("count_threshold")
    @classmethod
    def _counted(cls, value: int | None, info: ValidationInfo) -> int | None:
        schedules: list[DigestSchedule] = info.data.get("schedules") or []
        if value is None and any(s.frequency == "count" for s in schedules):
            raise ValueError("a 'count' schedule needs it")
        return value

    def schedule(self, chosen: str | None) -> DigestSchedule:
        """The user's schedule: the one they chose if it is active, else the default."""
        active = [s for s in self.schedules if not s.disabled]
        for schedule in active:
            if schedule.schedule_id == chosen:
                return schedule
        return next((s for s in active if s.is_default), active[0])

    def active_ids(self) -> list[str]:
        return [s.schedule_id for s in self.schedules if not s.disabled]


# Enough days ahead to meet any day-based schedule's next day (a month and a half).
_DAYS_AHEAD = 62


def next_release_ms(schedule: DigestSchedule, timezone: str | None, after_ms: int) -> int | None:
    """When a window of ``schedule`` that is open at ``after_ms`` is released (None: no
    time; at once, or, for ``count``, when the topic's threshold is reached).

    ``minutes`` windows start at multiples of the interval since 1970; ``hourly`` ones at
    each local hour; the day-based ones at the local ``time`` of their next day, in the
    schedule's zone, else ``timezone`` (the user's or the workspace's), else UTC. A local
    time that a change of clocks skips that day is taken as the time an hour later; one
    that happens twice, at its first.
    """
    if schedule.frequency in ("instant", "count"):
        return None
    if schedule.frequency == "minutes":
        step = (schedule.interval_minutes or 1) * 60_000
        return (after_ms // step + 1) * step
    tz = zone(schedule.timezone or timezone or "UTC")
    local = dt.datetime.fromtimestamp(after_ms / 1000, tz)
    if schedule.frequency == "hourly":
        start = local.replace(minute=0, second=0, microsecond=0)
        nxt = (start.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(tz)
        return int(nxt.timestamp() * 1000)
    return _next_day_at(schedule.time or "00:00", tz, local.date(), after_ms, schedule.releases_on)


def _next_day_at(
    time: str, tz: dt.tzinfo, first: dt.date, after_ms: int, releases_on: Callable[[dt.date], bool]
) -> int:
    hour, minute = (int(part) for part in time.split(":"))
    for offset in range(_DAYS_AHEAD):
        day = first + dt.timedelta(days=offset)
        if not releases_on(day):
            continue
        at = dt.datetime.combine(day, dt.time(hour, minute), tz)
        if (ms := int(at.timestamp() * 1000)) > after_ms:
            return ms
    raise AssertionError("unreachable: every schedule has a day within two months")


def user_timezone(profile: dict[str, Any]) -> str | None:
    """The profile's ``timezone`` when it is a zone Herald knows (Courier's profile field)."""
    name = profile.get("timezone")
    if not isinstance(name, str):
        return None
    try:
        zone(name)
    except ValueError:
        return None
    return name


class DigestState(BaseModel):
    """A digest's own record (beside the messages, as an automation run's): one per
    workspace, topic, schedule and user, holding the open window's items."""

    topic_id: str
    schedule_id: str
    user_id: str
    window: int = 0  # the open window's number; each release opens the next
    # The open window: each collected send's data (the first MAX_ITEMS_KEPT), its message
    # id, and how many were collected in all.
    items: list[dict[str, Any]] = Field(default_factory=list)
    item_message_ids: list[str] = Field(default_factory=list)
    count: int = 0
    opened_ms: int | None = None
    due_ms: int | None = None  # when the open window is released by its schedule
    # What the release sends: the template, the recipient and brand of the last send.
    template: str | None = None
    recipient: dict[str, Any] = Field(default_factory=dict)
    brand_id: str | None = None
    released: int = 0  # windows released so far
    last_release_ms: int | None = None
    last_message_id: str | None = None
