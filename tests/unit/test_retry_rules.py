"""The one retry backoff, the delivery deadline, and the deliver stage's policy."""

from __future__ import annotations

import random
from typing import Any

import pytest

from herald.config import AmbiguousPolicy, Settings
from herald.domain.backoff import Backoff
from herald.domain.deadline import DEFAULT_MESSAGE_TIMEOUT_MS, Deadline, Timeouts
from herald.domain.message import MessageState
from herald.pipeline.delivering import DeliveryPolicy

HOUR_MS = 3600 * 1000


def message(**fields: Any) -> MessageState:
    return MessageState(
        id="m1",
        workspace="ws1",
        request_id="r1",
        recipient={"email": "a@example.com"},
        content={},
        enqueued_ms=1_000_000,
        **fields,
    )


def test_the_backoff_doubles_from_its_base_to_its_ceiling() -> None:
    backoff = Backoff(base_s=30, max_s=3600)
    assert [backoff.delay_s(n) for n in (0, 1, 2, 3, 7, 8, 20)] == [
        30,
        30,
        60,
        120,
        1920,
        3600,
        3600,
    ]
    assert backoff.delay_ms(2) == 60_000


def test_the_backoff_stays_at_its_ceiling_however_many_tries() -> None:
    assert Backoff(base_s=0.1, max_s=10).delay_s(10**6) == 10


def test_jitter_spreads_a_delay_by_its_fraction_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    jittered = Backoff(base_s=30, max_s=3600, jitter=0.1)
    # The extremes random.uniform may return: the delay's bounds, exactly.
    monkeypatch.setattr(random, "uniform", lambda low, high: low)
    assert jittered.delay_ms(2) == 54_000
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    assert jittered.delay_ms(2) == 66_000


def test_a_message_deadline_counts_from_when_it_may_go_out() -> None:
    timeouts = Timeouts()
    assert Deadline.of_message(message(), timeouts).message_ms == 1_000_000 + 72 * HOUR_MS
    delayed = message(not_before_ms=5_000_000)
    assert Deadline.of_message(delayed, timeouts).message_ms == 5_000_000 + 72 * HOUR_MS
    own = message(timeout={"message": 60_000})
    assert Deadline.of_message(own, timeouts).message_ms == 1_060_000


def test_an_attempt_deadline_is_the_first_of_its_timeouts() -> None:
    timeouts = Timeouts(channel_ms=HOUR_MS, provider_ms=10 * 60_000)
    deadline = Deadline.of_attempt(message(), timeouts, "email", "smtp", 2_000_000, 3_000_000)
    assert deadline == Deadline(1_000_000 + 72 * HOUR_MS, 2_000_000 + HOUR_MS, 3_600_000)
    assert deadline.ends_ms == 3_600_000
    assert deadline.expired(3_599_999) is None
    assert deadline.expired(3_600_000) == "the provider timed out"
    assert deadline.expired(2_000_000 + HOUR_MS) == "the channel timed out"
    assert deadline.expired(1_000_000 + 72 * HOUR_MS) == "the message timed out"


def test_a_channel_not_tried_yet_has_no_channel_deadline() -> None:
    deadline = Deadline.of_attempt(
        message(), Timeouts(channel_ms=HOUR_MS), "email", "smtp", None, 3_000_000
    )
    assert (deadline.channel_ms, deadline.provider_ms) == (None, None)
    assert deadline.ends_ms == deadline.message_ms


def test_a_send_sets_its_timeouts_per_channel_and_per_provider() -> None:
    own = message(
        timeout={"channel": {"email": 5_000}, "provider": 7_000},
        provider_overrides={"sendgrid": {"timeouts": 9_000}},
    )
    timeouts = Timeouts(channel_ms=HOUR_MS, provider_ms=HOUR_MS)
    assert timeouts.of(own, "channel", "email") == 5_000
    assert timeouts.of(own, "channel", "sms") == HOUR_MS  # named for another: the default
    assert timeouts.of(own, "provider", "smtp") == 7_000
    assert timeouts.of(own, "provider", "sendgrid") == 9_000
    assert timeouts.of(message(), "channel", "sms") == HOUR_MS


def test_the_delivery_policy_is_built_from_the_settings() -> None:
    settings = Settings.from_env(
        {
            "HERALD_AMBIGUOUS_POLICY": "fail",
            "HERALD_AMBIGUOUS_POLICY_SMS": "resend",
            "HERALD_MAX_DELIVERY_TRIES": "5",
            "HERALD_ATTEMPT_LEASE_S": "30",
            "HERALD_RETRY_BASE_S": "2",
            "HERALD_RETRY_MAX_S": "60",
            "HERALD_MESSAGE_TIMEOUT_S": "3600",
            "HERALD_CHANNEL_TIMEOUT_S": "600",
        }
    )
    policy = DeliveryPolicy.from_settings(settings)
    assert (policy.max_tries, policy.lease_ms) == (5, 30_000)
    assert policy.backoff == Backoff(base_s=2, max_s=60, jitter=0.1)
    assert policy.timeouts == Timeouts(message_ms=HOUR_MS, channel_ms=600_000, provider_ms=None)
    assert policy.on_unknown("email") == AmbiguousPolicy.FAIL
    assert policy.on_unknown("sms") == AmbiguousPolicy.RESEND


def test_the_default_settings_give_courier_s_72_hours() -> None:
    policy = DeliveryPolicy.from_settings(Settings.from_env({}))
    assert policy.timeouts == Timeouts(message_ms=DEFAULT_MESSAGE_TIMEOUT_MS)
    assert policy.on_unknown("email") == AmbiguousPolicy.ASSUME_SENT
