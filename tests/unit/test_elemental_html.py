"""Elemental's ``html`` element (sanitised, email only) and text's ``font_size`` and
``line_height`` (email only)."""

from __future__ import annotations

from typing import Any

import pytest

from herald.elemental import ElementalRenderError, render_elemental
from herald.elemental.models import MAX_SIZE_CHARS
from herald.elemental.parse import parse_elemental
from herald.errors import ValidationFailed
from herald.templating import Limits


def content(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2022-01-01", "elements": list(elements)}


HOSTILE = (
    '<p onclick="steal()" style="position:fixed">Hi <b>{{name}}</b></p>'
    "<script>alert(1)</script><style>p{}</style>"
    '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">good</a>'
    '<img src="https://img.example/a.png" alt="A" onerror="x()">'
    '<iframe src="https://evil.example"></iframe><form action="/x"><input></form>'
)


def test_an_html_element_is_sanitised_into_the_email() -> None:
    email = render_elemental(
        content({"type": "html", "content": HOSTILE}), "email", {"name": "<i>Ada</i>"}
    )
    html = email["html"]
    assert "<p>Hi <b>&lt;i&gt;Ada&lt;/i&gt;</b></p>" in html  # the placeholder escaped
    assert '<a href="https://ok.example/" rel="noopener noreferrer">good</a>' in html
    assert '<img src="https://img.example/a.png" alt="A">' in html
    for gone in ("onclick", "steal", "position:fixed", "<script", "alert", "<iframe",
                 "<form", "<input", "onerror", "javascript:"):  # fmt: skip
        assert gone not in html, gone
    # The text part reads the same HTML as text.
    assert email["text"] == "Hi <i>Ada</i>bad good"


def test_an_html_element_shows_in_no_other_channel() -> None:
    both = content({"type": "text", "content": "Hello"}, {"type": "html", "content": "<p>x</p>"})
    assert render_elemental(both, "sms", {}) == {"text": "Hello"}
    assert render_elemental(both, "chat", {}) == {"text": "Hello"}
    assert render_elemental(both, "push", {})["body"] == "Hello"


def test_an_html_element_s_template_is_checked_and_its_output_bounded() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_elemental(content({"type": "html", "content": "{{#if}}"}))
    assert refused.value.errors[0].field == "content.elements[0].content"
    large = content({"type": "html", "content": "<p>{{x}}</p>"})
    limits = Limits(max_output_chars=1000)
    render_elemental(large, "email", {"x": "y" * (1000 - len("<p></p>"))}, limits=limits)
    with pytest.raises(ElementalRenderError, match="renders to more than 1000 characters"):
        render_elemental(large, "email", {"x": "y" * 1000}, limits=limits)


def test_font_size_and_line_height_style_the_email_text() -> None:
    sized = content(
        {"type": "text", "content": "Big", "font_size": "18px", "line_height": "1.5"},
        {"type": "text", "content": "Heading", "text_style": "h1", "font_size": "30px"},
        {"type": "text", "content": "Small", "text_style": "subtext", "line_height": "20px"},
    )
    html = render_elemental(sized, "email", {})["html"]
    assert 'style="margin:0 0 16px;text-align:left;line-height:1.5;font-size:18px;' in html
    assert "font-size:30px;" in html and "font-size:24px;" not in html  # overrides h1's
    assert "line-height:20px;font-size:13px;" in html
    assert render_elemental(sized, "sms", {}) == {"text": "Big\nHeading\nSmall"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("font_size", "16"),
        ("font_size", "1em"),
        ("font_size", "16px;color:red"),
        ("font_size", "1" * (MAX_SIZE_CHARS - 1) + "px"),
        ("line_height", "1.5;x"),
        ("line_height", "normal"),
    ],
)
def test_a_size_that_is_not_plainly_one_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_elemental(content({"type": "text", "content": "x", field: value}))
    assert refused.value.errors[0].field == f"content.elements[0].{field}"


def test_sizes_at_their_limits_are_taken() -> None:
    parse_elemental(
        content(
            {"type": "text", "content": "x", "font_size": "999.99px", "line_height": "999.99px"}
        )
    )
