"""Which URLs may become links and images: no javascript:, data: or other schemes."""

from __future__ import annotations

from urllib.parse import urlsplit

_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_WEB_SCHEMES = frozenset({"http", "https"})


def _scheme(url: str) -> str | None:
    if any(ord(char) < 0x21 for char in url.strip()):
        return None  # control characters and spaces can hide a scheme from browsers
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme in _WEB_SCHEMES and not parts.netloc:
        return None
    return parts.scheme.lower()


def is_safe_link(url: str) -> bool:
    return _scheme(url) in _LINK_SCHEMES


def is_web_url(url: str) -> bool:
    return _scheme(url) in _WEB_SCHEMES
