"""When a digest's window is released: each frequency, in the schedule's or the user's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from herald.domain.digest import DigestSchedule, TopicDigest, next_release_ms, user_timezone


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


def schedule(**fields: Any) -> DigestSchedule:
    return DigestSchedule.model_validate({"schedule_id": "s", **fields})


def test_a_minutes_window_ends_at_the_next_multiple_of_its_interval() -> None:
    every_15 = schedule(frequency="minutes", interval_minutes=15)
    assert next_release_ms(every_15, None, ms("2026-03-01T10:07:00+00:00")) == ms(
        "2026-03-01T10:15:00+00:00"
    )
    # On the boundary itself: the window that opens then ends at the next one.
    assert next_release_ms(every_15, None, ms("2026-03-01T10:15:00+00:00")) == ms(
        "2026-03-01T10:30:00+00:00"
    )


def test_an_hourly_window_ends_at_the_next_local_hour() -> None:
    hourly = schedule(frequency="hourly", timezone="Asia/Kolkata")  # UTC+05:30
    assert next_release_ms(hourly, None, ms("2026-03-01T10:07:00+00:00")) == ms(
        "2026-03-01T10:30:00+00:00"
    )


def test_a_daily_window_ends_at_its_local_time_today_else_tomorrow() -> None:
    nine = schedule(frequency="daily", time="09:00", timezone="America/New_York")
    assert next_release_ms(nine, None, ms("2026-03-01T13:00:00+00:00")) == ms(
        "2026-03-01T09:00:00-05:00"
    )
    assert next_release_ms(nine, None, ms("2026-03-01T14:00:00+00:00")) == ms(
        "2026-03-02T09:00:00-05:00"
    )
    # Across the change to summer time: 09:00 local is still 09:00 local.
    assert next_release_ms(nine, None, ms("2026-03-07T15:00:00+00:00")) == ms(
        "2026-03-08T09:00:00-04:00"
    )


def test_a_daily_schedule_without_a_zone_uses_the_users_then_utc() -> None:
    nine = schedule(frequency="daily", time="09:00")
    at = ms("2026-03-01T00:00:00+00:00")
    assert next_release_ms(nine, "Europe/Paris", at) == ms("2026-03-01T09:00:00+01:00")
    assert next_release_ms(nine, None, at) == ms("2026-03-01T09:00:00+00:00")
    assert user_timezone({"timezone": "Europe/Paris"}) == "Europe/Paris"
    assert user_timezone({"timezone": "Mars/Olympus"}) is None
    assert user_timezone({"timezone": ["Europe/Paris"]}) is None


def test_an_instant_schedule_releases_at_once() -> None:
    assert next_release_ms(schedule(frequency="instant"), None, 0) is None


def test_a_user_is_on_their_active_choice_else_the_default() -> None:
    digest = TopicDigest.model_validate(
        {
            "schedules": [
                {"schedule_id": "hourly", "frequency": "hourly"},
                {"schedule_id": "daily", "frequency": "daily", "time": "09:00", "is_default": True},
                {"schedule_id": "off", "frequency": "instant", "disabled": True},
            ]
        }
    )
    assert digest.schedule("hourly").schedule_id == "hourly"
    assert digest.schedule(None).schedule_id == "daily"
    assert digest.schedule("off").schedule_id == "daily"  # disabled: the default applies
    assert digest.active_ids() == ["hourly", "daily"]


@pytest.mark.parametrize(
    ("digest", "problem"),
    [
        ({"schedules": []}, "at least 1"),
        ({"schedules": [{"schedule_id": "a", "frequency": "hourly"}] * 2}, "twice"),
        (
            {
                "schedules": [
                    {"schedule_id": "a", "frequency": "hourly", "is_default": True},
                    {"schedule_id": "b", "frequency": "hourly", "is_default": True},
                ]
            },
            "more than one is_default",
        ),
        (
            {"schedules": [{"schedule_id": "a", "frequency": "hourly", "disabled": True}]},
            "one not disabled",
        ),
        (
            {"schedules": [{"schedule_id": "a", "frequency": "hourly"}], "count_threshold": 0},
            "greater than or equal to 1",
        ),
        (
            {"schedules": [{"schedule_id": "a", "frequency": "hourly"}] * 11},
            "at most 10",
        ),
    ],
)
def test_a_digest_that_cannot_be_kept_is_refused(digest: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        TopicDigest.model_validate(digest)
