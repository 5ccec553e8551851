"""Accessible, inline-styled email HTML from resolved pieces and an optional brand.

Every value is escaped; links and image sources were checked by the walker; colours
were checked by the models, so nothing reaches an attribute or a style unvetted.
"""

from __future__ import annotations

from html import escape

from herald.elemental import markdown
from herald.elemental.models import Brand, QuoteElement, TextElement
from herald.elemental.pieces import ActionPiece, DividerPiece, ImagePiece, Piece, TextPiece
from herald.templating import Budget
from herald.templating.budget import MAPPED_CHARS_PER_UNIT

_DEFAULT_PRIMARY = "#2563eb"
_TEXT_COLOR = "#1f2937"
_MUTED = "#6b7280"
_RULE = "#e5e7eb"
_FONT = "font-family:Helvetica,Arial,sans-serif"


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _flag(value: bool | str | None) -> bool:
    return value is True or value == "true"


def _align(align: str | None, default: str = "left") -> str:
    return "center" if align == "full" else align or default


def _text(piece: TextPiece, primary: str, budget: Budget) -> str:
    element = piece.element
    body = escape(piece.text, quote=False)
    if isinstance(element, TextElement) and element.format == "markdown":
        body = markdown.to_html(body, primary, budget)
    body = body.replace("\n", "<br>")
    if isinstance(element, TextElement):
        for flag, tag in (
            (element.bold, "strong"),
            (element.italic, "em"),
            (element.strikethrough, "s"),
            (element.underline, "u"),
        ):
            if _flag(flag):
                body = f"<{tag}>{body}</{tag}>"
    style = f"margin:0 0 16px;text-align:{_align(element.align)};"
    if isinstance(element, QuoteElement):
        border = element.border_color or _RULE
        return (
            f'<blockquote style="{style}padding:4px 0 4px 16px;border-left:4px solid {border};">'
            f"{body}</blockquote>"
        )
    color = element.color or _TEXT_COLOR
    text_style = element.text_style or "text"
    if text_style in ("h1", "h2"):
        size = "24px" if text_style == "h1" else "20px"
        return f'<{text_style} style="{style}font-size:{size};color:{color};">{body}</{text_style}>'
    if text_style == "subtext":
        return f'<p style="{style}font-size:13px;color:{element.color or _MUTED};">{body}</p>'
    return f'<p style="{style}color:{color};">{body}</p>'


def _action(piece: ActionPiece, primary: str) -> str:
    element = piece.element
    href, label = _attr(piece.href), escape(piece.label, quote=False)
    align = _align(element.align, "center")
    if element.style == "link":
        return (
            f'<p style="margin:0 0 16px;text-align:{align};">'
            f'<a href="{href}" style="color:{primary};">{label}</a></p>'
        )
    background = element.background_color or primary
    width = "display:block;" if element.align == "full" else "display:inline-block;"
    return (
        f'<div style="margin:0 0 16px;text-align:{align};">'
        f'<a href="{href}" style="{width}padding:12px 24px;background-color:{background};'
        f'color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">{label}</a></div>'
    )


def _image(piece: ImagePiece) -> str:
    element = piece.element
    width = element.width.removesuffix("px") if element.width else None
    size = f' width="{_attr(width)}"' if width and not width.endswith("%") else ""
    css_width = f"width:{width};" if width and width.endswith("%") else ""
    # alt is always present: empty marks a decorative image for screen readers.
    image = (
        f'<img src="{_attr(piece.src)}" alt="{_attr(piece.alt)}"{size} '
        f'style="{css_width}max-width:100%;height:auto;border:0;">'
    )
    if piece.href:
        image = f'<a href="{_attr(piece.href)}">{image}</a>'
    return (
        f'<div style="margin:0 0 16px;text-align:{_align(element.align, "center")};">{image}</div>'
    )


def _divider(piece: DividerPiece) -> str:
    color = piece.element.color or _RULE
    return f'<hr style="border:0;border-top:1px solid {color};margin:24px 0;">'


def _header(brand: Brand, primary: str) -> str:
    if brand.logo_url:
        inner = (
            f'<img src="{_attr(brand.logo_url)}" alt="{_attr(brand.name or "")}" height="40" '
            'style="display:block;height:40px;width:auto;border:0;">'
        )
    elif brand.name:
        inner = (
            f'<span style="font-size:20px;font-weight:bold;color:{_TEXT_COLOR};">'
            f"{escape(brand.name, quote=False)}</span>"
        )
    else:
        return ""
    return f'<tr><td style="padding:24px 32px;border-bottom:4px solid {primary};">{inner}</td></tr>'


def email_html(subject: str, pieces: list[Piece], brand: Brand | None, budget: Budget) -> str:
    """The email's HTML; escaping and Markdown are paid from the render's ``budget``."""
    colors = brand.colors if brand else None
    primary = colors.primary if colors and colors.primary else _DEFAULT_PRIMARY
    parts: list[str] = []
    for piece in pieces:
        budget.charge(1)
        if isinstance(piece, TextPiece):
            budget.charge_text(len(piece.text), MAPPED_CHARS_PER_UNIT)  # escaping it
            parts.append(_text(piece, primary, budget))
        elif isinstance(piece, ActionPiece):
            parts.append(_action(piece, primary))
        elif isinstance(piece, ImagePiece):
            parts.append(_image(piece))
        else:
            parts.append(_divider(piece))
    header = _header(brand, primary) if brand else ""
    footer_color = colors.secondary if colors and colors.secondary else _RULE
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(subject, quote=False)}</title></head>"
        '<body style="margin:0;padding:0;background-color:#f3f4f6;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background-color:#f3f4f6;"><tr><td align="center" style="padding:24px 12px;">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:100%;max-width:600px;background-color:#ffffff;{_FONT};font-size:16px;'
        f'line-height:1.5;color:{_TEXT_COLOR};border-bottom:4px solid {footer_color};">'
        f"{header}"
        f'<tr><td style="padding:32px;">{"".join(parts)}</td></tr>'
        "</table></td></tr></table></body></html>"
    )
