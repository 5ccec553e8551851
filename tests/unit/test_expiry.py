"""Courier's ``message.expiry``: a message not sent by then ends UNDELIVERABLE, EXPIRED."""

import datetime
import time
from typing import Any

import pytest

from herald.clock import now_ms
from herald.domain.send import MAX_TIMEOUT_MS, Expiry, duration_ms
from herald.errors import RetryableProviderError
from herald.pipeline.accepting import parse_send
from tests.unit.fakes import Pipeline
from tests.unit.test_pipeline import WS, send
from tests.unit.test_send_validation import CONTENT, errors_of

DAY_MS = 86_400_000


def expiry_errors(expiry: Any) -> dict[str, str]:
    return errors_of(
        {"message": {"to": {"email": "a@example.com"}, "content": CONTENT, "expiry": expiry}}
    )


def iso_in(ms: int) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(milliseconds=ms)
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("P1DT4H", DAY_MS + 4 * 3_600_000),
        ("PT30M", 1_800_000),
        ("pt1.5s", 1_500),
        ("P2W", 14 * DAY_MS),
        ("P1D", DAY_MS),
        ("PT1H2M3,25S", 3_723_250),
    ],
)
def test_iso_8601_durations_are_read_in_milliseconds(text: str, ms: int) -> None:
    assert duration_ms(text) == ms


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "P1Y", "P1M", "1D", "P1W2D", "P-1D", ""])
def test_what_is_no_fixed_duration_is_none(text: str) -> None:
    assert duration_ms(text) is None


@pytest.mark.parametrize(
    "expiry",
    [
        {"expires_in": 60_000},
        {"expires_in": "60000"},
        {"expires_in": "P1DT4H"},
        {"expires_in": MAX_TIMEOUT_MS},
        {"expires_at": iso_in(3_600_000)},
        {"expires_at": str(int(time.time()) + 3600)},  # Unix seconds
        {"expires_at": int(time.time() * 1000) + 3_600_000},  # Unix milliseconds
        {"expires_in": "PT1H", "expires_at": iso_in(DAY_MS)},  # computed at collection,
    ],
)
def test_courier_expiry_shapes_are_accepted(expiry: dict[str, Any]) -> None:
    assert expiry_errors(expiry) == {}


@pytest.mark.parametrize(
    ("expiry", "field", "reason"),
    [
        ({}, "message.expiry", "give expires_in, expires_at or both"),
        ({"expires_in": "P1Y"}, "message.expiry.expires_in", "ISO 8601 duration"),
        ({"expires_in": "tomorrow"}, "message.expiry.expires_in", "ISO 8601 duration"),
        ({"expires_in": "²"}, "message.expiry.expires_in", "ISO 8601 duration"),
        ({"expires_in": 0}, "message.expiry.expires_in", "30 days"),
        ({"expires_in": MAX_TIMEOUT_MS + 1}, "message.expiry.expires_in", "30 days"),
        ({"expires_in": "P31D"}, "message.expiry.expires_in", "30 days"),
        ({"expires_in": "P" + "1" * 62 + "D"}, "message.expiry.expires_in", "ISO 8601"),
        ({"expires_in": "P" + "1" * 63 + "D"}, "message.expiry.expires_in", "the most is 64"),
        ({"expires_at": "1" * 65}, "message.expiry.expires_at", "the most is 64"),
        ({"expires_at": iso_in(-60_000)}, "message.expiry.expires_at", "in the past"),
        ({"expires_at": iso_in(31 * DAY_MS)}, "message.expiry.expires_at", "30 days"),
        ({"expires_at": "2030-01-01T00:00:00"}, "message.expiry.expires_at", "zone"),
        ({"expires_at": "soon"}, "message.expiry.expires_at", "Unix time"),
        ({"expires_in": 1000, "when": 1}, "message.expiry.when", "not a known field"),
    ],
)
def test_a_bad_expiry_is_a_400_naming_its_field(
    expiry: dict[str, Any], field: str, reason: str
) -> None:
    errors = expiry_errors(expiry)
    assert list(errors) == [field]
    assert reason in errors[field]


def test_given_both_the_earlier_applies_counted_from_acceptance() -> None:
    at = now_ms()
    assert Expiry(expires_in=60_000).expires_ms(at) == at + 60_000
    both = Expiry(expires_in="PT1H", expires_at=str(at + 5_000))  # Unix milliseconds
    assert both.expires_ms(at) == at + 5_000
    assert Expiry(expires_in="PT1M", expires_at=at + 3_600_000).expires_ms(at) == at + 60_000
    request = parse_send(
        {"message": {"to": {"email": "a@b.co"}, "content": CONTENT, "expiry": {"expires_in": 5}}}
    )
    assert request.message.expiry == Expiry(expires_in=5)


def failing_pipeline() -> Pipeline:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    return p


def test_an_expiry_passing_while_the_provider_keeps_failing_ends_it_expired() -> None:
    p = failing_pipeline()
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "expiry": {"expires_in": 60_000},
        },
    )
    p.drain()
    message = p.messages.messages[(WS, rid)]
    assert message.expires_ms == message.enqueued_ms + 60_000
    [timer] = p.timers.entries.values()
    assert timer.due_ms <= message.expires_ms  # the retry comes back by the expiry at the latest
    # The minute has passed (moved back, not waited for): the retry finds it expired.
    p.messages.messages[(WS, rid)] = message.model_copy(update={"expires_ms": now_ms() - 1})
    p.fire_timers()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "EXPIRED")
    assert view["error"].startswith("expired before it was sent (last error:")
    assert p.email.calls == 1 and not p.timers.entries  # not retried again


def test_a_message_expired_before_it_is_routed_never_reaches_a_provider() -> None:
    p = Pipeline()
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "expiry": {"expires_in": 60_000},
        },
    )
    # A backlog held the message past its expiry before render saw it.
    message = p.messages.messages[(WS, rid)]
    p.messages.messages[(WS, rid)] = message.model_copy(update={"expires_ms": now_ms() - 1})
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "EXPIRED")
    assert p.email.calls == 0


def test_a_delay_ending_after_the_expiry_ends_the_message_at_once() -> None:
    p = Pipeline()
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "delay": {"duration": 120_000},
            "expiry": {"expires_in": 60_000},
        },
    )
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "EXPIRED")
    assert "delay" in view["error"] and not p.timers.entries and p.email.calls == 0


def _delayed_within_its_expiry(p: Pipeline) -> str:
    """A message delayed a minute with two minutes to live, drained to its timer."""
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "delay": {"duration": 60_000},
            "expiry": {"expires_in": 120_000},
        },
    )
    p.drain()
    return rid


def test_a_delayed_message_within_its_expiry_still_goes_out() -> None:
    p = Pipeline()
    rid = _delayed_within_its_expiry(p)
    message = p.messages.messages[(WS, rid)]
    assert message.status == "DELAYED"
    p.messages.messages[(WS, rid)] = message.model_copy(update={"not_before_ms": now_ms() - 1})
    p.fire_timers()
    assert p.reader.message(WS, rid)["status"] == "SENT"


def test_an_expired_delayed_message_ends_when_its_timer_fires() -> None:
    p = Pipeline()
    rid = _delayed_within_its_expiry(p)
    message = p.messages.messages[(WS, rid)]
    p.messages.messages[(WS, rid)] = message.model_copy(
        update={"not_before_ms": now_ms() - 2, "expires_ms": now_ms() - 1}
    )
    p.fire_timers()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "EXPIRED")
    assert p.email.calls == 0


def test_every_message_of_a_send_carries_its_expiry_a_list_s_too() -> None:
    from tests.unit.test_api import call, make_api

    api, p = make_api()
    for user in ("u1", "u2"):
        call(api, "POST", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com"}})
    subscribers = {"recipients": [{"recipientId": "u1"}, {"recipientId": "u2"}]}
    assert call(api, "POST", "/lists/team/subscriptions", subscribers).status < 300
    expiry = {"expires_in": 60_000}
    direct = send(
        p,
        {
            "to": [{"email": "a@example.com"}, {"email": "b@example.com"}],
            "content": {"body": "x"},
            "expiry": expiry,
        },
    )
    listed = send(p, {"to": {"list_id": "team"}, "content": {"body": "x"}, "expiry": expiry})
    p.drain()
    made = [
        m
        for m in p.messages.messages.values()
        if m.request_id in (direct, listed) and m.fanout is None
    ]
    assert len(made) == 4
    assert [m.expires_ms is not None and m.expires_ms - m.enqueued_ms for m in made] == [60_000] * 4


def test_a_resend_goes_now_without_the_original_s_expiry() -> None:
    from tests.unit.test_api import call, make_api

    api, pipeline = make_api()
    body = {
        "message": {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "expiry": {"expires_in": 60_000},
        }
    }
    original = call(api, "POST", "/send", body).body["requestId"]
    pipeline.drain()
    resent = call(api, "POST", f"/messages/{original}/resend").body["messageId"]
    assert pipeline.messages.messages[("ws1", resent)].expires_ms is None
