"""The one-click unsubscribe headers (RFC 8058) of a rendered email, for every email provider."""

from __future__ import annotations

from typing import Any

from herald.domain.headers import header_problem

UNSUBSCRIBE_FIELD = "list_unsubscribe"  # set by the render stage (herald.engagement.email)
MAX_HEADER_LINE = 998


def unsubscribe_headers(rendered: dict[str, Any]) -> dict[str, str]:
    """``List-Unsubscribe`` with the HTTPS URL and ``List-Unsubscribe-Post``, or nothing."""
    url = rendered.get(UNSUBSCRIBE_FIELD)
    if not isinstance(url, str) or not url:
        return {}
    headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    # The URL is Herald's own; checked all the same, a header must never break the mail,
    # and it must fit on one line (RFC 5322: 998 characters), as a URL cannot be folded.
    if any(
        header_problem(name, value) or len(name) + 2 + len(value) > MAX_HEADER_LINE
        for name, value in headers.items()
    ):
        return {}
    return headers
