"""The public pages email links lead to: plain, server-rendered HTML with no script.

Each is a Jinja2 template under ``templates/``, autoescaped (``herald.markup``):
every text and attribute is escaped as it is written. Each page has a language,
a title, one main heading and, for the preferences form, a fieldset and legend
per topic with a label per switch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from herald import markup
from herald.engagement.choices import CHANNEL_LABELS, TopicRow

# No script, no framing (clickjacking), no referrer (the URL holds the token).
SECURITY_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


def _page(template: str, title: str, **values: Any) -> str:
    return markup.render("herald.engagement", template, title=title, **values)


def notice_page(title: str, text: str) -> str:
    """A page that only tells something: a link expired or is not valid."""
    return _page("notice.html", title, text=text)


def confirm_unsubscribe_page(topic_name: str, action: str, preferences: str) -> str:
    """What opening the unsubscribe link shows: a GET never unsubscribes (link scanners
    fetch links); the button posts the same one-click form a mail client would."""
    return _page(
        "confirm_unsubscribe.html",
        "Unsubscribe",
        topic_name=topic_name,
        action=action,
        preferences=preferences,
    )


def unsubscribed_page(topic_name: str, preferences: str, changed: bool) -> str:
    return _page(
        "unsubscribed.html",
        "Unsubscribed" if changed else "Required messages",
        topic_name=topic_name,
        preferences=preferences,
        changed=changed,
    )


def preferences_page(
    rows: Sequence[TopicRow], action: str, nonce: str, saved: bool = False, error: str = ""
) -> str:
    return _page(
        "preferences.html",
        "Your preferences",
        rows=rows,
        action=action,
        nonce=nonce,
        saved=saved,
        error=error,
        labels=CHANNEL_LABELS,
    )
