"""The small Markdown subset of text elements with ``format: "markdown"``:
``**bold**``, ``*italic*`` / ``_italic_`` and ``[label](http(s) or mailto link)``."""

from __future__ import annotations

import re

# Links stop at quotes and angle brackets, so in HTML they cannot leave their attribute.
LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s)\"<>]+)\)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")


def to_html(escaped: str, link_color: str) -> str:
    """``escaped`` is already HTML-escaped text; returns it with the subset as tags."""
    html = LINK.sub(
        lambda m: f'<a href="{m.group(2)}" style="color:{link_color};">{m.group(1)}</a>', escaped
    )
    html = BOLD.sub(r"<strong>\1</strong>", html)
    return ITALIC.sub(r"<em>\1</em>", html)


def to_plain(text: str) -> str:
    """Links as "label: url", emphasis markers dropped."""
    text = LINK.sub(lambda m: f"{m.group(1)}: {m.group(2)}", text)
    text = BOLD.sub(r"\1", text)
    return ITALIC.sub(r"\1", text)
