"""Elemental's ``html`` element: the sender's HTML, sanitised before it reaches an email.

Sanitised by nh3 (the Ammonia sanitiser): an allow-list of tags and attributes, no
scripts, styles or event handlers, links only to the schemes Herald's own links take,
and ``rel="noopener noreferrer"`` on each link. nh3 parses in linear time; the input
is already bounded by the render's output limit.
"""

from __future__ import annotations

import html

# The schemes of Herald's links (``links.is_safe_link``); nh3 drops an attribute with another.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def sanitize_html(source: str) -> str:
    import nh3  # only content with an html element needs it

    return nh3.clean(source, url_schemes=set(URL_SCHEMES))


def html_text(source: str) -> str:
    """The text of sanitised HTML, for an email's plain-text part."""
    import nh3

    return html.unescape(nh3.clean(source, tags=set())).strip()
