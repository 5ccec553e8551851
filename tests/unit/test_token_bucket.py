import pytest

from herald.domain.token_bucket import TokenBucket
from herald.pipeline.ratelimit import RateLimiter


def test_a_full_bucket_lets_its_burst_through_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket.full(rate=2.0, burst=3, now=100.0)
    assert [bucket.take(100.0) for _ in range(3)] == [None, None, None]
    assert bucket.remaining == 0
    assert bucket.take(100.0) == pytest.approx(0.5)
    assert bucket.take(100.5) is None  # refilled at its rate


def test_it_refills_to_its_burst_and_no_further() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=2, now=0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.until_full_s == pytest.approx(2.0)
    bucket.take(1000.0)
    assert bucket.remaining == 1  # two at most, one taken


def test_a_clock_stepping_back_adds_nothing_and_takes_nothing() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=1, now=50.0)
    assert bucket.take(50.0) is None
    assert bucket.take(40.0) == pytest.approx(1.0)
    assert bucket.take(50.5) == pytest.approx(0.5)


def test_a_bucket_without_a_rate_or_a_whole_token_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket.full(rate=0.0, burst=5, now=0.0)
    with pytest.raises(ValueError):
        TokenBucket.full(rate=1.0, burst=0.5, now=0.0)


def test_a_provider_limited_below_one_call_a_second_still_gets_its_calls() -> None:
    now = [0.0]
    limiter = RateLimiter({"twilio": 0.5}, lambda: now[0])
    assert limiter.acquire("twilio") is None
    assert limiter.acquire("twilio") == pytest.approx(2.0)
    now[0] += 2.0
    assert limiter.acquire("twilio") is None
