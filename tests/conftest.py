"""Shared test helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import herald.local  # noqa: F401  (before anything imports gRPC: see there)

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout_s: float = 20.0, what: str = "") -> T:
    """Polls ``probe`` until it returns something truthy, or fails at the deadline."""
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    raise AssertionError(
        f"timed out after {timeout_s}s waiting for {what or probe}; last: {last!r}"
    )
