"""Courier's ``metadata.utm``: campaign parameters added to the links of an email."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from herald.engagement.tracking import is_web_link, track_links
from herald.templating import Budget


def with_utm(url: str, utm: Mapping[str, str]) -> str:
    """``url`` with ``utm_<name>`` for each given, keeping any the link already has."""
    if not is_web_link(url):
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    query += [(f"utm_{k}", v) for k, v in utm.items() if v and f"utm_{k}" not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def add_utm(markup: str, utm: Mapping[str, str], budget: Budget) -> str:
    """Every http(s) link of an email's HTML with the campaign's parameters."""
    return track_links(markup, lambda url: with_utm(url, utm), budget)
