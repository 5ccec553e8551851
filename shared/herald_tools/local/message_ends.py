"""A message's end as the fault suites read it: from the API only, through restarts."""

from __future__ import annotations

import urllib.error
from typing import Any

from herald.domain.status import PIPELINE_END, Reason
from herald_tools.local.client import ApiClient


def ended(api: ApiClient, message_id: str) -> dict[str, Any] | None:
    """The message once the pipeline stopped for it; None before, or while the api
    restarts."""
    try:
        found: dict[str, Any] = api.call("GET", f"/messages/{message_id}")
    except (urllib.error.URLError, OSError):
        return None  # the api answers again in a moment
    return found if found["status"] in PIPELINE_END else None


def outcome_unknown(message: dict[str, Any]) -> bool:
    """Ended SENT without knowing whether the provider took it (deliver killed after the
    hand-off, policy assume_sent): sent at most once, its mail perhaps absent."""
    return bool(message.get("reason") == Reason.OUTCOME_UNKNOWN)
