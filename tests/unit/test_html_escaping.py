"""A hostile value in every field a tenant or a recipient controls, in every page and in
the email layout, comes out escaped: read back by an HTML parser, each value is whole,
inside the one text or attribute it was written to, and adds no element or attribute."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from herald.elemental.email_html import email_html
from herald.elemental.models import (
    ActionElement,
    Brand,
    DividerElement,
    ImageElement,
    QuoteElement,
    TextElement,
)
from herald.elemental.pieces import ActionPiece, DividerPiece, ImagePiece, Piece, TextPiece
from herald.engagement.choices import TopicRow
from herald.engagement.email import html_footer
from herald.engagement.pages import (
    confirm_unsubscribe_page,
    notice_page,
    preferences_page,
    unsubscribed_page,
)
from herald.engagement.tracking import pixel
from herald.templating import Budget, Limits

# Leaves a double- or single-quoted attribute, opens a script and an event handler.
HOSTILE = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"


@dataclass
class Parsed(HTMLParser):
    tags: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def parsed(markup: str) -> Parsed:
    reader = Parsed()
    reader.feed(markup)
    reader.close()
    return reader


def hostile_values_in(markup: str) -> int:
    """How many times the hostile value stands whole in a text or an attribute value."""
    reader = parsed(markup)
    assert "script" not in reader.tags
    assert not [name for name, _ in reader.attributes if name.startswith("on")]
    in_attributes = sum(value.count(HOSTILE) for _, value in reader.attributes)
    return in_attributes + "".join(reader.texts).count(HOSTILE)


def budget() -> Budget:
    return Budget(Limits(cpu_seconds=60))


def rows(required: bool) -> list[TopicRow]:
    return [TopicRow(HOSTILE, HOSTILE, required, ("email", "sms"), frozenset({"email"}))]


# Each page, with the hostile value in each of its fields, and how many times it shows.
PAGES: dict[str, tuple[Callable[[], str], int]] = {
    # title: the <title> and the heading
    "notice": (lambda: notice_page(HOSTILE, HOSTILE), 3),
    # topic name, form action, preferences link
    "confirm unsubscribe": (lambda: confirm_unsubscribe_page(HOSTILE, HOSTILE, HOSTILE), 3),
    "unsubscribed": (lambda: unsubscribed_page(HOSTILE, HOSTILE, True), 2),
    "required, not unsubscribed": (lambda: unsubscribed_page(HOSTILE, HOSTILE, False), 2),
    # action, nonce, error, legend, the shown topic id, each switch's name (two channels)
    "preferences": (
        lambda: preferences_page(rows(False), HOSTILE, HOSTILE, saved=True, error=HOSTILE),
        7,
    ),
    # a REQUIRED topic: no hidden "shown" field
    "preferences, required": (lambda: preferences_page(rows(True), HOSTILE, HOSTILE), 5),
    "email footer": (lambda: html_footer(HOSTILE, HOSTILE), 2),
    "open pixel": (lambda: pixel(HOSTILE), 1),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_field_of_every_page_is_escaped(name: str) -> None:
    render, fields = PAGES[name]
    assert hostile_values_in(render()) == fields


def test_every_field_of_the_email_layout_is_escaped() -> None:
    # The walker checks links and sources and the models check colours before the layout
    # sees them; the layout escapes what it is given all the same.
    pieces: list[Piece] = [
        TextPiece(HOSTILE, TextElement(type="text", content="x")),
        TextPiece(HOSTILE, TextElement(type="text", content="x", format="markdown")),
        TextPiece(HOSTILE, TextElement(type="text", content="x", text_style="h1", bold=True)),
        TextPiece(HOSTILE, QuoteElement(type="quote", content="x")),
        ActionPiece(HOSTILE, HOSTILE, ActionElement(type="action", content="x", href="https://a")),
        ActionPiece(
            HOSTILE,
            HOSTILE,
            ActionElement(type="action", content="x", href="https://a", style="link"),
        ),
        ImagePiece(HOSTILE, HOSTILE, HOSTILE, ImageElement(type="image", src="https://i")),
        DividerPiece(DividerElement(type="divider")),
    ]
    brand = Brand.model_construct(name=HOSTILE, logo_url=HOSTILE, colors=None)
    # subject; four texts; two labels and hrefs; an image's source, alt and link; the
    # brand's logo and name (as its alt)
    assert hostile_values_in(email_html(HOSTILE, pieces, brand, budget())) == 14
    named = Brand.model_construct(name=HOSTILE, logo_url=None, colors=None)
    assert hostile_values_in(email_html(HOSTILE, [], named, budget())) == 2


def test_the_check_itself_sees_a_value_that_escaped() -> None:
    broken = f'<p title="{HOSTILE}">x</p>'
    with pytest.raises(AssertionError):
        hostile_values_in(broken)
