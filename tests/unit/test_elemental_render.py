from typing import Any

import pytest

from herald.domain.rendering import render_channel
from herald.elemental import ElementalRenderError, render_elemental
from herald.templating import Budget, Limits

DATA: dict[str, Any] = {
    "name": "Ada <b>",
    "order": {"id": "A1"},
    "products": [{"name": "Mouse", "price": "$10"}, {"name": "Keys", "price": "$20"}],
    "plan": "pro",
}


def content(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2022-01-01", "elements": list(elements)}


BASIC = content(
    {"type": "meta", "title": "Order {{order.id}}"},
    {"type": "text", "content": "Hi {{name}}"},
    {"type": "action", "content": "Track", "href": "https://t.example/{{order.id}}"},
)


def test_every_channel_gets_the_same_shape_as_render_channel() -> None:
    plain = {"title": "t", "body": "b"}
    for channel in ("email", "sms", "push", "chat", "webhook"):
        shape = set(render_channel(channel, plain, DATA))
        if channel == "email":
            shape.add("html")
        assert set(render_elemental(BASIC, channel, DATA)) == shape


def test_meta_title_becomes_subject_and_title() -> None:
    assert render_elemental(BASIC, "email", DATA)["subject"] == "Order A1"
    push = render_elemental(BASIC, "push", DATA)
    assert (push["title"], push["data"]) == ("Order A1", DATA)


def test_plain_text_channels_show_links_as_label_and_url() -> None:
    assert render_elemental(BASIC, "sms", DATA) == {
        "text": "Order A1\nHi Ada <b>\nTrack: https://t.example/A1"
    }
    assert render_elemental(BASIC, "chat", DATA) == {
        "text": "*Order A1*\nHi Ada <b>\nTrack: https://t.example/A1"
    }
    assert render_elemental(BASIC, "email", DATA)["text"] == (
        "Hi Ada <b>\n\nTrack: https://t.example/A1"
    )


def test_email_html_escapes_text_and_renders_real_links_and_alt_text() -> None:
    body = content(
        {"type": "text", "content": "Hi {{name}} <i>", "text_style": "h1"},
        {"type": "action", "content": "Track \"{{order.id}}\"", "href": "https://t.example/?a={{order.id}}&b=2"},
        {"type": "action", "content": "Help", "href": "mailto:help@example.com", "style": "link"},
        {"type": "image", "src": "https://img.example/a.png", "alt_text": "Our \"box\"", "width": "300px"},
        {"type": "image", "src": "https://img.example/deco.png"},
        {"type": "divider"},
    )  # fmt: skip
    html = render_elemental(body, "email", DATA)["html"]
    assert (
        '<h1 style="margin:0 0 16px;text-align:left;font-size:24px;color:#1f2937;">Hi Ada &lt;b&gt; &lt;i&gt;</h1>'
        in html
    )
    assert '<a href="https://t.example/?a=A1&amp;b=2"' in html and ">Track &#34;A1&#34;</a>" in html
    assert '<a href="mailto:help@example.com" style="color:#2563eb;">Help</a>' in html
    assert '<img src="https://img.example/a.png" alt="Our &#34;box&#34;" width="300"' in html
    assert '<img src="https://img.example/deco.png" alt=""' in html
    assert "<hr " in html and "<b>" not in html and "<i>" not in html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html


def test_markdown_text_becomes_tags_in_html_and_plain_words_in_text() -> None:
    body = content(
        {"type": "text", "format": "markdown",
         "content": "**Bold** and _it_ [docs](https://d.example/?x=1) [bad](javascript:alert(1))"}
    )  # fmt: skip
    email = render_elemental(body, "email", DATA)
    assert "<strong>Bold</strong> and <em>it</em>" in email["html"]
    assert '<a href="https://d.example/?x=1" style="color:#2563eb;">docs</a>' in email["html"]
    assert "javascript:alert(1)" in email["html"] and 'href="javascript' not in email["html"]
    assert email["text"] == "Bold and it docs: https://d.example/?x=1 [bad](javascript:alert(1))"


def test_brand_header_and_primary_colour_with_every_value_escaped() -> None:
    brand = {"name": "Acme & <Co>", "logo_url": "https://acme.example/logo.png?a=1&b=\"2\"",
             "colors": {"primary": "#ff0000", "secondary": "#00ff00"}}  # fmt: skip
    html = render_elemental(BASIC, "email", DATA, brand=brand)["html"]
    assert (
        '<img src="https://acme.example/logo.png?a=1&amp;b=&#34;2&#34;" alt="Acme &amp; &lt;Co&gt;"'
        in html
    )
    assert "border-bottom:4px solid #ff0000" in html
    assert "background-color:#ff0000;color:#ffffff" in html  # the button
    assert "<Co>" not in html
    name_only = render_elemental(BASIC, "email", DATA, brand={"name": "Acme & Co"})["html"]
    assert ">Acme &amp; Co</span>" in name_only


def test_unsafe_brand_values_are_refused() -> None:
    with pytest.raises(ValueError, match="logo_url"):
        render_elemental(BASIC, "email", DATA, brand={"logo_url": "javascript:x"})
    with pytest.raises(ValueError, match="primary"):
        render_elemental(BASIC, "email", DATA, brand={"colors": {"primary": "red;x:y"}})


def test_channel_elements_apply_only_to_their_channel_with_default_for_the_rest() -> None:
    body = content(
        {"type": "channel", "channel": "email", "elements": [{"type": "text", "content": "long {{name}}"}]},
        {"type": "channel", "channel": "sms", "raw": {"text": "raw {{order.id}}"}},
        {"type": "channel", "channel": "default", "elements": [{"type": "text", "content": "short"}]},
    )  # fmt: skip
    assert render_elemental(body, "email", DATA)["text"] == "long Ada <b>"
    assert render_elemental(body, "sms", DATA) == {"text": "raw A1"}
    assert render_elemental(body, "push", DATA)["body"] == "short"
    assert render_elemental(body, "chat", DATA) == {"text": "short"}


def test_raw_email_html_escapes_its_placeholders() -> None:
    body = content({"type": "channel", "channel": "email",
                    "raw": {"subject": "S {{name}}", "html": "<p>{{name}}</p>", "text": "T"}})  # fmt: skip
    assert render_elemental(body, "email", DATA) == {
        "subject": "S Ada <b>", "text": "T", "html": "<p>Ada &lt;b&gt;</p>"
    }  # fmt: skip


def test_element_channels_if_loop_and_refs() -> None:
    body = content(
        {"type": "text", "content": "only sms", "channels": ["sms"]},
        {"type": "text", "content": "{{add $.index 1}}. {{$.item.name}} at {{$.item.price}}", "loop": "data.products"},
        {"type": "text", "content": "pro", "if": "{{eq data.plan \"pro\"}}", "ref": "pro"},
        {"type": "text", "content": "free", "if": "{{eq data.plan \"free\"}}"},
        {"type": "text", "content": "after pro", "if": "refs.pro.visible"},
        {"type": "group", "loop": "data.products", "elements": [{"type": "text", "content": "[{{$.item.name}}]"}]},
        {"type": "text", "content": "none", "loop": "data.missing"},
    )  # fmt: skip
    assert render_elemental(body, "push", DATA)["body"] == (
        "1. Mouse at $10\n2. Keys at $20\npro\nafter pro\n[Mouse]\n[Keys]"
    )
    assert render_elemental(body, "sms", DATA)["text"].startswith("only sms\n1. Mouse")


def test_sugar_title_and_body_beside_elements() -> None:
    body = {
        "version": "2022-01-01",
        "title": "Hi {{name}}",
        "body": "B",
        "elements": [{"type": "divider"}],
    }
    assert render_elemental(body, "push", DATA) == {
        "title": "Hi Ada <b>",
        "body": "B",
        "data": DATA,
    }


def test_a_link_that_turns_unsafe_once_filled_names_the_field() -> None:
    body = content({"type": "divider"}, {"type": "action", "content": "x", "href": "{{url}}"})
    with pytest.raises(ElementalRenderError) as caught:
        render_elemental(body, "email", {"url": "javascript:alert(1)"})
    assert caught.value.field == "content.elements[1].href"


def test_helper_errors_name_the_field_and_position() -> None:
    body = content({"type": "group", "elements": [{"type": "text", "content": "{{add x 1}}"}]})
    with pytest.raises(
        ElementalRenderError,
        match=r"content.elements\[0\].elements\[0\].content: line 1, column 1: add",
    ):
        render_elemental(body, "sms", {"x": "abc"})


def test_limits_cover_the_whole_content_not_each_string() -> None:
    many = content({"type": "text", "content": "{{x}}", "loop": "data.items"})
    data = {"items": list(range(100)), "x": "y" * 100}
    with pytest.raises(ElementalRenderError, match="renders to more than 5000 characters"):
        render_elemental(many, "sms", data, limits=Limits(max_output_chars=5000))
    nested = content({"type": "group", "loop": "data.items", "elements": [
        {"type": "group", "loop": "data.items", "elements": [{"type": "text", "content": "{{$.item}}", "loop": "data.items"}]}
    ]})  # fmt: skip
    budget = Budget(Limits(max_output_chars=10**9, cpu_seconds=60))
    with pytest.raises(ElementalRenderError, match="more than 50,000 units of fuel"):
        render_elemental(
            nested, "sms", {"items": list(range(100))}, limits=budget.limits, budget=budget
        )
    assert 50_000 < budget.used < 50_100  # one budget for every loop and string of the content


def test_unknown_channel_is_refused_like_render_channel() -> None:
    with pytest.raises(ValueError, match="no renderer for channel 'fax'"):
        render_elemental(BASIC, "fax", DATA)
