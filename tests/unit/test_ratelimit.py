import pytest

from herald.config import parse_limits
from herald.pipeline.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_rate_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter({"twilio": 2.0}, clock)
    assert [limiter.acquire("twilio") for _ in range(2)] == [None, None]
    assert limiter.acquire("twilio") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.acquire("twilio") is None
    assert limiter.acquire("sendgrid") is None  # no limit set: never waits


def test_limits_are_parsed_and_bad_ones_named() -> None:
    assert parse_limits("twilio=10, sendgrid=2.5") == {"twilio": 10.0, "sendgrid": 2.5}
    assert parse_limits("") == {}
    with pytest.raises(ValueError, match="twilio"):
        parse_limits("twilio")
