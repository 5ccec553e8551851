"""Open and click tracking in an email's HTML: links through Herald, and a pixel.

The HTML may hold a sender's own markup (raw Elemental HTML), so it is read by
scans that look at each place an anchor, an ``href`` or a quote could be once
(``herald.scanning``), paid for from the render's budget: a backtracking pattern
took 17 s over ``"<a "`` repeated 20,000 times.
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from herald import markup
from herald.scanning import NextOf, is_word
from herald.templating import Budget, TemplateOutputTooLarge
from herald.templating.budget import MAPPED_CHARS_PER_UNIT

# The longest HTML whose links are rewritten: more than a message's document can hold.
MAX_HTML_CHARS = 1024 * 1024
# Fuel of rewriting one link, beyond its length: parsing it, signing a token or adding
# campaign parameters.
REWRITE_UNITS = 32
# Lowers ASCII letters only, so positions in the lowered copy are positions in the HTML.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

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


def _lowered(markup: str, budget: Budget) -> str:
    if len(markup) > MAX_HTML_CHARS:
        raise TemplateOutputTooLarge(f"the email's HTML is longer than {MAX_HTML_CHARS} characters")
    budget.charge_text(len(markup))
    return markup.translate(_ASCII_LOWER)


def _hrefs(markup: str, budget: Budget) -> Iterator[tuple[int, int]]:
    """(start, end) of the quoted ``href`` value of each ``<a`` start tag, in order.

    The first ``href`` (any case, not after a letter, digit or ``_``) before the tag's
    first ``>`` that is followed by ``=`` and a quote; the value runs to the same
    quote. Unquoted or unusual markup is left alone.
    """
    lower = _lowered(markup, budget)
    size = len(markup)
    anchors, tag_ends, names = (NextOf(lower, budget, needle) for needle in ("<a", ">", "href"))
    quotes = {quote: NextOf(markup, budget, quote) for quote in "\"'"}
    start = 0
    while (anchor := anchors.at(start)) < size:
        start = anchor + 1
        if anchor + 2 < size and is_word(markup[anchor + 2]):
            continue  # <abbr>, <article>: not an anchor
        tag_end = tag_ends.at(anchor + 2)
        name = names.at(anchor + 2)
        value: tuple[int, int] | None = None
        while name < tag_end:
            # The name starts a word (href, not xhref) and is followed by = "...".
            if not is_word(markup[name - 1]) and (value := _quoted_value(markup, name, quotes)):
                break
            name = names.at(name + 1)
        if value is None:
            start = max(start, tag_end)  # a later <a before this tag's end fails alike
            continue
        yield value
        start = value[1] + 1


def _quoted_value(markup: str, name: int, quotes: dict[str, NextOf]) -> tuple[int, int] | None:
    """The quoted value after the attribute name at ``name``, if ``= "..."`` follows."""
    size, at = len(markup), name + 4
    while at < size and markup[at].isspace():
        at += 1
    if markup[at : at + 1] != "=":
        return None
    at += 1
    while at < size and markup[at].isspace():
        at += 1
    quote = markup[at : at + 1]
    if quote not in quotes:
        return None
    end = quotes[quote].at(at + 1)
    return (at + 1, end) if end < size else None


def track_links(markup: str, click_url: Callable[[str], str | None], budget: Budget) -> str:
    """Every http(s) anchor's href replaced by ``click_url(the original link)``, unless
    that gives None (the link is then left as it is, untracked)."""
    pieces: list[str] = []
    done = 0
    for start, end in _hrefs(markup, budget):
        budget.charge(REWRITE_UNITS)
        budget.charge_text(end - start, MAPPED_CHARS_PER_UNIT)
        target = html.unescape(markup[start:end]).strip()
        if not is_web_link(target):
            continue  # mailto:, tel:, anchors: nothing to redirect
        tracked = click_url(target)
        if tracked is None:
            continue
        pieces += (markup[done:start], html.escape(tracked, quote=True))
        done = end
    pieces.append(markup[done:])
    return "".join(pieces)


def before_body_end(markup: str, fragment: str, budget: Budget) -> str:
    """``fragment`` inserted just before the last ``</body>``, or appended when there is
    none."""
    lower = _lowered(markup, budget)
    at = lower.rfind("</body")
    while at >= 0:
        budget.charge(1)
        end = at + len("</body")
        while end < len(lower) and lower[end].isspace():
            end += 1
        if lower[end : end + 1] == ">":
            return markup[:at] + fragment + markup[at:]
        at = lower.rfind("</body", 0, at)
    return markup + fragment


def pixel(url: str) -> str:
    return markup.render("herald.engagement", "pixel.html", url=url)
