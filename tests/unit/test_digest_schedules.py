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


def test_a_weekly_window_ends_on_its_local_day_at_its_time() -> None:
    monday_nine = schedule(
        frequency="weekly", day_of_week="Monday", time="09:00", timezone="Europe/Paris"
    )
    assert monday_nine.day_of_week == "monday"  # Courier's days are any case, kept lowercase
    # 2026-03-04 is a Wednesday: the next Monday.
    assert next_release_ms(monday_nine, None, ms("2026-03-04T12:00:00+00:00")) == ms(
        "2026-03-09T09:00:00+01:00"
    )
    # On the Monday itself, before and after its time.
    assert next_release_ms(monday_nine, None, ms("2026-03-09T07:59:00+00:00")) == ms(
        "2026-03-09T09:00:00+01:00"
    )
    assert next_release_ms(monday_nine, None, ms("2026-03-09T08:00:00+00:00")) == ms(
        "2026-03-16T09:00:00+01:00"
    )
    # Across Europe's change to summer time (2026-03-29): still 09:00 on the Monday.
    assert next_release_ms(monday_nine, None, ms("2026-03-24T12:00:00+00:00")) == ms(
        "2026-03-30T09:00:00+02:00"
    )


def test_a_weekdays_window_skips_the_weekend() -> None:
    eight = schedule(frequency="weekdays", time="08:00", timezone="America/New_York")
    # Friday after 08:00: Monday. Saturday: Monday.
    assert next_release_ms(eight, None, ms("2026-03-06T14:00:00+00:00")) == ms(
        "2026-03-09T08:00:00-04:00"  # Monday is already summer time (from 2026-03-08)
    )
    assert next_release_ms(eight, None, ms("2026-03-07T14:00:00+00:00")) == ms(
        "2026-03-09T08:00:00-04:00"
    )
    # Thursday after 08:00: Friday.
    assert next_release_ms(eight, None, ms("2026-03-05T14:00:00+00:00")) == ms(
        "2026-03-06T08:00:00-05:00"
    )


def test_custom_days_end_on_each_day_named() -> None:
    tue_sat = schedule(frequency="custom_days", days_of_week=["tuesday", "SATURDAY"], time="18:30")
    assert next_release_ms(tue_sat, None, ms("2026-03-03T19:00:00+00:00")) == ms(
        "2026-03-07T18:30:00+00:00"
    )
    assert next_release_ms(tue_sat, None, ms("2026-03-07T19:00:00+00:00")) == ms(
        "2026-03-10T18:30:00+00:00"
    )


def test_a_monthly_window_ends_on_its_day_or_the_months_last() -> None:
    the_31st = schedule(frequency="monthly", day_of_month=31, time="09:00")
    assert next_release_ms(the_31st, None, ms("2026-01-31T08:00:00+00:00")) == ms(
        "2026-01-31T09:00:00+00:00"
    )
    # February has no 31st: its 28th; April's is its 30th.
    assert next_release_ms(the_31st, None, ms("2026-01-31T09:00:00+00:00")) == ms(
        "2026-02-28T09:00:00+00:00"
    )
    assert next_release_ms(the_31st, None, ms("2026-04-01T00:00:00+00:00")) == ms(
        "2026-04-30T09:00:00+00:00"
    )
    # A leap year's February: its 29th.
    assert next_release_ms(the_31st, None, ms("2028-02-01T00:00:00+00:00")) == ms(
        "2028-02-29T09:00:00+00:00"
    )
    # The 1st in Auckland, whose 1st begins on the 31st in UTC.
    first = schedule(frequency="monthly", day_of_month=1, time="00:30", timezone="Pacific/Auckland")
    assert next_release_ms(first, None, ms("2026-03-15T00:00:00+00:00")) == ms(
        "2026-04-01T00:30:00+13:00"
    )


def test_a_time_the_clocks_skip_is_an_hour_later_and_a_repeated_one_is_the_first() -> None:
    at_half_two = schedule(frequency="daily", time="02:30", timezone="America/New_York")
    # 2026-03-08 has no 02:30 in New York (02:00 -> 03:00): released at 03:30 summer time.
    assert next_release_ms(at_half_two, None, ms("2026-03-08T06:00:00+00:00")) == ms(
        "2026-03-08T03:30:00-04:00"
    )
    at_half_one = schedule(frequency="daily", time="01:30", timezone="America/New_York")
    # 2026-11-01 has 01:30 twice (02:00 -> 01:00): the first, still summer time.
    assert next_release_ms(at_half_one, None, ms("2026-11-01T04:00:00+00:00")) == ms(
        "2026-11-01T01:30:00-04:00"
    )


@pytest.mark.parametrize(
    ("fields", "where", "problem"),
    [
        ({"frequency": "weekly", "time": "09:00"}, "day_of_week", "needs it"),
        (
            {"frequency": "weekly", "time": "09:00", "day_of_week": "funday"},
            "day_of_week",
            "monday",
        ),
        ({"frequency": "weekdays"}, "time", "needs it"),
        (
            {"frequency": "weekdays", "time": "09:00", "day_of_week": "monday"},
            "day_of_week",
            "has none",
        ),
        ({"frequency": "monthly", "time": "09:00"}, "day_of_month", "needs it"),
        (
            {"frequency": "monthly", "time": "09:00", "day_of_month": 0},
            "day_of_month",
            "greater than",
        ),
        (
            {"frequency": "monthly", "time": "09:00", "day_of_month": 32},
            "day_of_month",
            "less than",
        ),
        (
            {"frequency": "custom_days", "time": "09:00", "days_of_week": []},
            "days_of_week",
            "at least 1",
        ),
        (
            {"frequency": "custom_days", "time": "09:00", "days_of_week": ["monday", "Monday"]},
            "days_of_week",
            "twice",
        ),
        ({"frequency": "hourly", "time": "09:00"}, "time", "has none"),
    ],
)
def test_a_schedule_missing_or_misusing_a_field_is_refused_naming_it(
    fields: dict[str, Any], where: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        schedule(**fields)
    assert where in str(refused.value)
