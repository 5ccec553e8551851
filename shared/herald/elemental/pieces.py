"""Elements resolved for one channel: templated, filtered, loops expanded."""

from __future__ import annotations

from dataclasses import dataclass

from herald.elemental import markdown
from herald.elemental.html import html_text
from herald.elemental.models import (
    ActionElement,
    DividerElement,
    HtmlElement,
    ImageElement,
    QuoteElement,
    TextElement,
)
from herald.templating import Budget
from herald.templating.budget import MAPPED_CHARS_PER_UNIT


@dataclass(frozen=True, slots=True)
class TextPiece:
    text: str
    element: TextElement | QuoteElement


@dataclass(frozen=True, slots=True)
class ActionPiece:
    label: str
    href: str
    element: ActionElement


@dataclass(frozen=True, slots=True)
class ImagePiece:
    src: str
    href: str | None
    alt: str
    element: ImageElement


@dataclass(frozen=True, slots=True)
class DividerPiece:
    element: DividerElement


@dataclass(frozen=True, slots=True)
class HtmlPiece:
    html: str  # sanitised
    element: HtmlElement


Piece = TextPiece | ActionPiece | ImagePiece | DividerPiece | HtmlPiece


def plain_text(pieces: list[Piece], budget: Budget, *, separator: str, dividers: bool) -> str:
    """Text for SMS, push, chat and the text part of an email: links as "label: url"."""
    lines: list[str] = []
    for piece in pieces:
        if isinstance(piece, TextPiece):
            text = piece.text
            if isinstance(piece.element, TextElement) and piece.element.format == "markdown":
                text = markdown.to_plain(text, budget)
            if isinstance(piece.element, QuoteElement):
                text = "\n".join(f"> {line}" for line in text.split("\n"))
            lines.append(text)
        elif isinstance(piece, ActionPiece):
            lines.append(f"{piece.label}: {piece.href}" if piece.label else piece.href)
        elif isinstance(piece, ImagePiece):
            if piece.href:  # an image that links somewhere is still a link in text
                lines.append(f"{piece.alt}: {piece.href}" if piece.alt else piece.href)
        elif isinstance(piece, HtmlPiece):
            budget.charge_text(len(piece.html), MAPPED_CHARS_PER_UNIT)
            lines.append(html_text(piece.html))
        elif isinstance(piece, DividerPiece) and dividers:
            lines.append("---")
    return separator.join(line for line in lines if line)
