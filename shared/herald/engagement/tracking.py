"""Open and click tracking in an email's HTML: links through Herald, and a pixel."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlsplit

# An anchor's quoted href. Unquoted or unusual markup is left alone (and untracked).
_ANCHOR_HREF = re.compile(r"(<a\b[^>]*?\bhref\s*=\s*)([\"'])(.*?)\2", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)

# A transparent 1x1 GIF: what the open pixel answers.
PIXEL_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def is_web_link(url: str) -> bool:
    """Only http(s) links are tracked, and only they may be redirected to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def track_links(markup: str, click_url: Callable[[str], str | None]) -> str:
    """Every http(s) anchor's href replaced by ``click_url(the original link)``, unless
    that gives None (the link is then left as it is, untracked)."""

    def swap(found: re.Match[str]) -> str:
        target = html.unescape(found[3]).strip()
        if not is_web_link(target):
            return found[0]  # mailto:, tel:, anchors: nothing to redirect
        tracked = click_url(target)
        if tracked is None:
            return found[0]
        return f"{found[1]}{found[2]}{html.escape(tracked, quote=True)}{found[2]}"

    return _ANCHOR_HREF.sub(swap, markup)


def before_body_end(markup: str, fragment: str) -> str:
    """``fragment`` inserted just before ``</body>``, or appended when there is none."""
    ends = list(_BODY_END.finditer(markup))
    if not ends:
        return markup + fragment
    at = ends[-1].start()
    return markup[:at] + fragment + markup[at:]


def pixel(url: str) -> str:
    # alt="" marks it decorative: screen readers skip it.
    return (
        f'<img src="{html.escape(url, quote=True)}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px">'
    )
