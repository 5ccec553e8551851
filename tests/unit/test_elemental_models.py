from typing import Any

import pytest

from herald.elemental import ElementalContent, is_elemental, parse, parse_elemental
from herald.errors import ValidationFailed
from herald.templating import Budget, Limits


def content(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2022-01-01", "elements": list(elements)}


def errors(body: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_elemental(body)
    return [(error.field, error.reason) for error in caught.value.errors]


def test_parses_every_supported_element_with_courier_field_names() -> None:
    parsed = parse_elemental(
        content(
            {"type": "meta", "title": "Hi {{name}}"},
            {
                "type": "text",
                "content": "**Hi**",
                "format": "markdown",
                "align": "center",
                "text_style": "h1",
                "color": "#333",
                "bold": "true",
                "locales": {"fr": {"content": "Salut"}},
            },
            {
                "type": "action",
                "content": "Go",
                "href": "https://x.example",
                "style": "link",
                "align": "full",
                "background_color": "rgb(1, 2, 3)",
                "action_id": "go",
            },
            {"type": "divider", "color": "red"},
            {
                "type": "image",
                "src": "https://x.example/a.png",
                "alt_text": "A",
                "width": "50%",
                "href": "mailto:a@example.com",
            },
            {"type": "quote", "content": "q", "border_color": "#abc"},
            {
                "type": "group",
                "if": "data.vip",
                "loop": "data.items",
                "ref": "g",
                "channels": ["email"],
                "elements": [{"type": "text", "content": "{{$.item}}"}],
            },
        )
    )
    assert isinstance(parsed, ElementalContent)
    assert [e.type for e in parsed.elements] == [
        "meta", "text", "action", "divider", "image", "quote", "group"
    ]  # fmt: skip
    group = parsed.elements[-1]
    assert group.if_ == "data.vip" and group.loop == "data.items"


def test_models_are_frozen() -> None:
    parsed = parse_elemental(content({"type": "divider"}))
    with pytest.raises(ValueError, match="frozen"):
        parsed.elements[0].color = "red"  # type: ignore[union-attr]


def test_unknown_element_type_names_its_index_path() -> None:
    assert errors(content({"type": "text", "content": "a"}, {"type": "divider"}, {"type": "video"})) == [
        ("content.elements[2].type",
         "unknown element type 'video'; expected one of text, meta, action, divider, image, quote, html, group, channel"),
    ]  # fmt: skip


def test_nested_errors_name_the_full_path() -> None:
    body = content(
        {"type": "group", "elements": [
            {"type": "text"},
            {"type": "group", "elements": [{"type": "action", "content": "x", "href": "javascript:alert(1)"}]},
            {"content": "no type"},
        ]},
    )  # fmt: skip
    assert errors(body) == [
        ("content.elements[0].elements[0].content", "is required"),
        (
            "content.elements[0].elements[1].elements[0].href",
            "is not an http(s), mailto or tel link",
        ),
        ("content.elements[0].elements[2].type", "is required"),
    ]


def test_strict_fields_refuse_extras_coercion_and_unsafe_styles() -> None:
    body = content(
        {"type": "text", "content": 5},
        {"type": "text", "content": "x", "colour": "red"},
        {"type": "text", "content": "x", "color": "red;background:url(x)"},
        {"type": "image", "src": "data:image/png;base64,AAAA"},
        {"type": "image", "src": "https://x.example/a.png", "width": "100vw"},
        {"type": "action", "content": "x", "href": "https://x", "style": "banner"},
    )
    fields = [field for field, _ in errors(body)]
    assert fields == [
        "content.elements[0].content",
        "content.elements[1].colour",
        "content.elements[2].color",
        "content.elements[3].src",
        "content.elements[4].width",
        "content.elements[5].style",
    ]


def test_colours_and_widths_are_checked_only_up_to_their_longest_form() -> None:
    spaced = "rgb(" + " " * 56 + "0,0)"  # 64 characters: spaces inside rgb() are fine
    assert parse_elemental(content({"type": "divider", "color": spaced}))
    assert errors(content({"type": "divider", "color": spaced[:4] + " " + spaced[4:]})) == [
        ("content.elements[0].color", "is not a colour (#rgb, #rrggbb, a name or rgb(...))")
    ]
    image = {"type": "image", "src": "https://x.example/a.png"}
    assert parse_elemental(content({**image, "width": "1234px"}))
    assert [f for f, _ in errors(content({**image, "width": "0" * 9}))] == [
        "content.elements[0].width"
    ]


def test_templates_and_conditions_are_compiled_while_validating() -> None:
    body = content(
        {"type": "text", "content": "Hi {{#if a}}"},
        {"type": "text", "content": "x", "if": "{{foo bar}}"},
    )
    assert errors(body) == [
        ("content.elements[0].content", "line 1, column 4: {{#if}} is never closed"),
        ("content.elements[1].if", "line 1, column 1: unknown helper 'foo'"),
    ]


def test_one_budget_covers_compiling_every_template_of_the_content(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fuel decides, not the CPU time of a machine that may be loaded.
    monkeypatch.setattr(parse, "Budget", lambda: Budget(Limits(cpu_seconds=60)))
    # Two thousand small templates of dense tags: each cheap alone, too costly together.
    dense = {"type": "text", "content": "{{a}}" * 24}
    assert errors(content(*[dense] * 2_000)) == [
        ("content.elements[86].content", "rendering needs more than 50,000 units of fuel")
    ]
    assert parse_elemental(content(*[dense] * 80))


def test_channel_elements_only_at_the_top_and_never_beside_others() -> None:
    nested = content(
        {"type": "group", "elements": [{"type": "channel", "channel": "email", "elements": []}]}
    )
    assert errors(nested) == [
        ("content.elements[0].elements[0].type", "channel elements are only valid at the top level")
    ]
    mixed = content({"type": "channel", "channel": "email", "elements": []}, {"type": "divider"})
    assert errors(mixed) == [
        ("content", "when one top-level element is a channel element, all must be")
    ]
    empty = content({"type": "channel", "channel": "sms"})
    assert errors(empty) == [("content.elements[0]", "a channel element needs elements or raw")]


def test_version_is_required_and_checked() -> None:
    assert errors({"elements": []}) == [("content.version", "is required")]
    assert errors({"version": "2019", "elements": []})[0][0] == "content.version"


def test_is_elemental_tells_elemental_from_title_and_body() -> None:
    assert is_elemental(content())
    assert not is_elemental({"title": "t", "body": "b"})
