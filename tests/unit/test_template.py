from herald.domain.template import render


def test_substitutes_variables_from_data() -> None:
    assert (
        render("Hi {{name}}, code {{ code }}", {"name": "Ada", "code": 123}) == "Hi Ada, code 123"
    )


def test_follows_dotted_paths() -> None:
    assert render("{{user.address.city}}", {"user": {"address": {"city": "Turin"}}}) == "Turin"


def test_missing_variables_and_maps_render_empty() -> None:
    assert render("[{{absent}}][{{user}}][{{user.none}}]", {"user": {"a": 1}}) == "[][][]"


def test_booleans_render_lowercase_and_other_braces_stay() -> None:
    assert render("{{flag}} {not} {{ }}", {"flag": True}) == "true {not} {{ }}"
