"""The plain-text ``render`` keeps the behaviour of the substitution it replaced."""

import pytest

from herald.templating import TemplateOutputTooLarge, TemplateSyntaxError, render


def test_substitutes_variables_from_data() -> None:
    assert (
        render("Hi {{name}}, code {{ code }}", {"name": "Ada", "code": 123}) == "Hi Ada, code 123"
    )


def test_follows_dotted_paths() -> None:
    assert render("{{user.address.city}}", {"user": {"address": {"city": "Turin"}}}) == "Turin"


def test_missing_variables_and_maps_render_empty() -> None:
    assert render("[{{absent}}][{{user}}][{{user.none}}]", {"user": {"a": 1}}) == "[][][]"


def test_booleans_render_lowercase_and_single_braces_stay() -> None:
    assert render("{{flag}} {not}", {"flag": True}) == "true {not}"


def test_plain_text_is_not_html_escaped() -> None:
    assert render("{{v}}", {"v": "Tom & <Jerry>"}) == "Tom & <Jerry>"


def test_output_over_the_limit_raises_while_rendering() -> None:
    with pytest.raises(TemplateOutputTooLarge):
        render("{{v}}{{v}}{{v}}", {"v": "x" * 40}, limit=100)
    assert render("{{v}}{{v}}", {"v": "x" * 40}, limit=100) == "x" * 80


def test_an_empty_tag_is_now_a_syntax_error_not_literal_text() -> None:
    # The regex-based renderer left "{{ }}" as it was; Handlebars refuses it.
    with pytest.raises(TemplateSyntaxError, match="line 1, column 7: empty tag"):
        render("{{a}} {{ }}", {})
