"""Accessible, inline-styled email HTML from resolved pieces and an optional brand.

The layout is ``templates/email.html``, autoescaped (``herald.markup``): every
value is escaped as it is written. Links and image sources were checked by the
walker and colours by the models, so nothing reaches an attribute or a style
unvetted; this module only decides each piece's tag, styles and lines.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup

from herald import markup
from herald.elemental import markdown
from herald.elemental.models import Brand, QuoteElement, TextElement
from herald.elemental.pieces import (
    ActionPiece,
    DividerPiece,
    HtmlPiece,
    ImagePiece,
    Piece,
    TextPiece,
)
from herald.templating import Budget
from herald.templating.budget import MAPPED_CHARS_PER_UNIT

_DEFAULT_PRIMARY = "#2563eb"
_TEXT_COLOR = "#1f2937"
_MUTED = "#6b7280"
_RULE = "#e5e7eb"


@dataclass(frozen=True)
class _Text:
    tag: str
    style: str
    lines: list[str | Markup]  # joined by <br>; Markup only for Markdown's own tags
    wraps: tuple[str, ...]  # emphasis tags, innermost first
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class _Action:
    kind: Literal["link", "button"]
    href: str
    label: str
    align: str
    background: str = ""
    width: str = ""


@dataclass(frozen=True)
class _Image:
    src: str
    alt: str
    href: str | None
    align: str
    width_attr: str | None
    css_width: str
    kind: Literal["image"] = "image"


@dataclass(frozen=True)
class _Divider:
    color: str
    kind: Literal["divider"] = "divider"


@dataclass(frozen=True)
class _Html:
    html: Markup  # sanitised by the walker (``elemental.html``)
    kind: Literal["html"] = "html"


def _flag(value: bool | str | None) -> bool:
    return value is True or value == "true"


def _align(align: str | None, default: str = "left") -> str:
    return "center" if align == "full" else align or default


def _text(piece: TextPiece, primary: str, budget: Budget) -> _Text:
    element = piece.element
    lines: list[str | Markup]
    if isinstance(element, TextElement) and element.format == "markdown":
        # Markdown reads escaped text and adds its own few tags (quotes stay as they
        # are: a quote ends a Markdown link); what it returns is markup.
        marked = markdown.to_html(html.escape(piece.text, quote=False), primary, budget)
        lines = [Markup(line) for line in marked.split("\n")]
    else:
        lines = list(piece.text.split("\n"))
    wraps: tuple[str, ...] = ()
    if isinstance(element, TextElement):
        emphasis = (
            (element.bold, "strong"),
            (element.italic, "em"),
            (element.strikethrough, "s"),
            (element.underline, "u"),
        )
        wraps = tuple(tag for flag, tag in emphasis if _flag(flag))
    style = f"margin:0 0 16px;text-align:{_align(element.align)};"
    if isinstance(element, TextElement) and element.line_height:
        style += f"line-height:{element.line_height};"
    if isinstance(element, QuoteElement):
        border = element.border_color or _RULE
        quote_style = f"{style}padding:4px 0 4px 16px;border-left:4px solid {border};"
        return _Text("blockquote", quote_style, lines, wraps)
    color = element.color or _TEXT_COLOR
    text_style = element.text_style or "text"
    # Courier's font_size overrides the size of the text_style preset.
    preset = {"h1": "24px", "h2": "20px", "subtext": "13px"}.get(text_style)
    size = element.font_size or preset
    sized = f"{style}font-size:{size};" if size else style
    if text_style in ("h1", "h2"):
        return _Text(text_style, f"{sized}color:{color};", lines, wraps)
    if text_style == "subtext":
        return _Text("p", f"{sized}color:{element.color or _MUTED};", lines, wraps)
    return _Text("p", f"{sized}color:{color};", lines, wraps)


def _action(piece: ActionPiece, primary: str) -> _Action:
    element = piece.element
    align = _align(element.align, "center")
    if element.style == "link":
        return _Action("link", piece.href, piece.label, align)
    return _Action(
        "button",
        piece.href,
        piece.label,
        align,
        background=element.background_color or primary,
        width="display:block;" if element.align == "full" else "display:inline-block;",
    )


def _image(piece: ImagePiece) -> _Image:
    element = piece.element
    width = element.width.removesuffix("px") if element.width else None
    percent = bool(width and width.endswith("%"))
    return _Image(
        piece.src,
        piece.alt,  # always present: empty marks a decorative image for screen readers
        piece.href,
        _align(element.align, "center"),
        width_attr=width if width and not percent else None,
        css_width=f"width:{width};" if percent else "",
    )


def email_html(subject: str, pieces: list[Piece], brand: Brand | None, budget: Budget) -> str:
    """The email's HTML; escaping and Markdown are paid from the render's ``budget``."""
    colors = brand.colors if brand else None
    primary = colors.primary if colors and colors.primary else _DEFAULT_PRIMARY
    blocks: list[_Text | _Action | _Image | _Divider | _Html] = []
    for piece in pieces:
        budget.charge(1)
        if isinstance(piece, TextPiece):
            budget.charge_text(len(piece.text), MAPPED_CHARS_PER_UNIT)  # escaping it
            blocks.append(_text(piece, primary, budget))
        elif isinstance(piece, ActionPiece):
            blocks.append(_action(piece, primary))
        elif isinstance(piece, ImagePiece):
            blocks.append(_image(piece))
        elif isinstance(piece, DividerPiece):
            blocks.append(_Divider(piece.element.color or _RULE))
        elif isinstance(piece, HtmlPiece):
            blocks.append(_Html(Markup(piece.html)))
    return markup.render(
        "herald.elemental",
        "email.html",
        subject=subject,
        blocks=blocks,
        brand=brand,
        primary=primary,
        text_color=_TEXT_COLOR,
        footer_color=colors.secondary if colors and colors.secondary else _RULE,
    )
