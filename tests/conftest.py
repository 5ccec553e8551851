"""Shared test helpers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import herald_tools.local  # noqa: F401  (before anything imports gRPC: see there)

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


def second_terminal() -> dict[str, str]:
    """A shell with none of the emulator variables, and credentials that cannot exist."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in (
            "FIRESTORE_EMULATOR_HOST",
            "PUBSUB_EMULATOR_HOST",
            "GOOGLE_CLOUD_PROJECT",
            "GCP_PROJECT",
        )
    }
    env["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/credentials.json"
    return env
