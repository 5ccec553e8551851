import email.utils

import pytest

from herald.errors import PermanentProviderError, ProviderError, RetryableProviderError
from herald.providers.http import HttpResult, raise_for_status, retry_after_seconds


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=1_000_000) == 30.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


@pytest.mark.parametrize(
    ("status", "error", "retry_after"),
    [
        (429, RetryableProviderError, 12.0),
        (503, RetryableProviderError, 12.0),
        (400, PermanentProviderError, None),
        (404, PermanentProviderError, None),
    ],
)
def test_statuses_are_classified_with_the_providers_retry_after(
    status: int, error: type[ProviderError], retry_after: float | None
) -> None:
    with pytest.raises(error) as caught:
        raise_for_status(HttpResult(status, {"retry-after": "12"}, b""), "p")
    assert caught.value.retry_after_s == retry_after
    raise_for_status(HttpResult(202, {}, b""), "p")  # 2xx: nothing raised
