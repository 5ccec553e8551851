"""What an HTTP header may hold: checked at the API and again before a request leaves."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def header_problem(name: str, value: str) -> str | None:
    """Why a header cannot be sent, or None."""
    if not _TOKEN.match(name):
        return f"header name {name!r} is not an HTTP token"
    if _CONTROL.search(value):
        return f"header {name!r} has a control character in its value"
    return None
