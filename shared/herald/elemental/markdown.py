"""The small Markdown subset of text elements with ``format: "markdown"``:
``**bold**``, ``*italic*`` / ``_italic_`` and ``[label](http(s) or mailto link)``.

Links are found first, then bold, then italic, each leftmost first as a regular
expression would, but by scans that look at each character a bounded number of
times: backtracking patterns took time quadratic in hostile text (``"**a "``
repeated). The scans are paid for from the render's ``Budget``: a unit for each
place a form could start or end that is looked at, and for each URL by its length.

- a link is ``[label](url)``: the label runs to the first ``]`` (no newline), the
  URL starts with ``http://``, ``https://`` or ``mailto:`` and stops at ``)``; it
  may not hold whitespace, quotes or angle brackets, so in HTML it cannot leave
  its attribute;
- bold is ``**text**`` on one line, the text neither starting nor ending with
  whitespace;
- italic is ``*text*`` or ``_text_`` likewise, the markers not touching a letter,
  digit, ``_`` or ``*`` outside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from herald.scanning import NextOf, is_word
from herald.templating import Budget
from herald.templating.budget import MAPPED_CHARS_PER_UNIT

_SCHEMES = ("http://", "https://", "mailto:")
_URL_STOPS = frozenset(')"<>')
_EMPHASIS = "*_"

# (start, end) of the whole form, then its parts: (label, url) or (text,).
Found = tuple[int, int, tuple[str, ...]]


def _links(text: str, budget: Budget) -> Iterator[Found]:
    opens, label_ends = NextOf(text, budget, "["), NextOf(text, budget, "]", "\n")
    url_from, url_stop = -1, -1  # the last stop found, and where that search began
    size, start = len(text), 0
    while (opening := opens.at(start)) < size:
        end = label_ends.at(opening + 1)
        # Every later "[" before ``end`` has the same label end and fails alike.
        start = end + 1
        if end >= size or end == opening + 1 or text[end] != "]":
            continue
        scheme = next((s for s in _SCHEMES if text.startswith(s, end + 2)), None)
        if text[end + 1 : end + 2] != "(" or scheme is None:
            continue
        url_start = end + 2 + len(scheme)
        if not url_from <= url_start <= url_stop:  # not inside the stretch searched last
            url_from, url_stop = url_start, url_start
            while url_stop < size and not (
                text[url_stop] in _URL_STOPS or text[url_stop].isspace()
            ):
                if (url_stop - url_from) % MAPPED_CHARS_PER_UNIT == 0:
                    budget.charge(1)
                url_stop += 1
        if url_stop == url_start or url_stop >= size or text[url_stop] != ")":
            continue
        yield opening, url_stop + 1, (text[opening + 1 : end], text[end + 2 : url_stop])
        start = url_stop + 1


def _bold(text: str, budget: Budget) -> Iterator[Found]:
    markers, newlines = NextOf(text, budget, "**"), NextOf(text, budget, "\n")
    size, start = len(text), 0
    while (opening := markers.at(start)) < size:
        start = opening + 1
        if opening + 2 >= size or text[opening + 2].isspace():
            continue
        line_end = newlines.at(opening + 2)
        closing = markers.at(opening + 3)
        while closing + 2 <= line_end and text[closing - 1].isspace():
            closing = markers.at(closing + 1)
        if closing + 2 > line_end:
            start = line_end  # a later opening on this line has no closing either
            continue
        yield opening, closing + 2, (text[opening + 2 : closing],)
        start = closing + 2


def _italic(text: str, budget: Budget) -> Iterator[Found]:
    markers, newlines = NextOf(text, budget, *_EMPHASIS), NextOf(text, budget, "\n")
    size, start = len(text), 0

    def outside(position: int) -> bool:  # no letter, digit, _ or * beside the marker
        return not 0 <= position < size or not (is_word(text[position]) or text[position] == "*")

    while (opening := markers.at(start)) < size:
        start = opening + 1
        if not outside(opening - 1) or opening + 1 >= size or text[opening + 1].isspace():
            continue
        line_end = newlines.at(opening + 1)
        closing = markers.at(opening + 2)
        while closing < line_end and (text[closing - 1].isspace() or not outside(closing + 1)):
            closing = markers.at(closing + 1)
        if closing >= line_end:
            start = line_end  # a later opening on this line has no closing either
            continue
        yield opening, closing + 1, (text[opening + 1 : closing],)
        start = closing + 1


def _replace(
    text: str,
    forms: Callable[[str, Budget], Iterator[Found]],
    replacement: Callable[[tuple[str, ...]], str],
    budget: Budget,
) -> str:
    budget.charge_text(len(text))  # the searches, and the copy into the result
    pieces: list[str] = []
    done = 0
    for start, end, parts in forms(text, budget):
        pieces += (text[done:start], replacement(parts))
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def to_html(escaped: str, link_color: str, budget: Budget) -> str:
    """``escaped`` is already HTML-escaped text; returns it with the subset as tags."""
    html = _replace(
        escaped,
        _links,
        lambda p: f'<a href="{p[1]}" style="color:{link_color};">{p[0]}</a>',
        budget,
    )
    html = _replace(html, _bold, lambda p: f"<strong>{p[0]}</strong>", budget)
    return _replace(html, _italic, lambda p: f"<em>{p[0]}</em>", budget)


def to_plain(text: str, budget: Budget) -> str:
    """Links as "label: url", emphasis markers dropped."""
    text = _replace(text, _links, lambda p: f"{p[0]}: {p[1]}", budget)
    text = _replace(text, _bold, lambda p: p[0], budget)
    return _replace(text, _italic, lambda p: p[0], budget)
