from typing import Any

from herald.templating import compile_template


def fill(source: str, data: dict[str, Any], *, escape_html: bool = True) -> str:
    return compile_template(source).render(data, escape_html=escape_html)


def test_values_are_html_escaped_unless_in_triple_braces() -> None:
    data = {"v": "<b title=\"x\">Tom & 'Jerry'</b>`="}
    assert fill("{{v}}", data) == (
        "&lt;b title&#x3D;&quot;x&quot;&gt;Tom &amp; &#x27;Jerry&#x27;&lt;/b&gt;&#x60;&#x3D;"
    )
    assert fill("{{{v}}}|{{& v}}", data) == f"{data['v']}|{data['v']}"
    assert fill("{{v}}", data, escape_html=False) == data["v"]


def test_paths_with_dots_slashes_brackets_and_indexes() -> None:
    data = {"user": {"first name": "Ada", "tags": ["x", "y"]}}
    assert fill("{{user.[first name]}} {{user/tags.1}} {{user.tags.length}}", data) == "Ada y 2"


def test_numbers_print_as_javascript_does_and_booleans_lowercase() -> None:
    data = {"i": 3, "f": 2.0, "g": 0.5, "t": True, "n": None}
    assert fill("{{i}} {{f}} {{g}} {{t}} [{{n}}]", data) == "3 2 0.5 true []"


def test_if_else_chain_and_unless() -> None:
    template = compile_template("{{#if a}}A{{else if b}}B{{else}}C{{/if}}")
    assert [template.render(d) for d in ({"a": 1}, {"b": 1}, {})] == ["A", "B", "C"]
    assert fill("{{#unless off}}on{{else}}off{{/unless}}", {"off": []}) == "on"
    # Handlebars' falsy values: empty list, empty string, zero, null; an empty map is truthy.
    falsy = [[], "", 0, None, False]
    assert all(fill("{{#if v}}y{{else}}n{{/if}}", {"v": v}) == "n" for v in falsy)
    assert fill("{{#if v}}y{{/if}}", {"v": {}}) == "y"
    assert fill("{{#if v includeZero=true}}y{{/if}}", {"v": 0}) == "y"


def test_each_over_lists_with_position_variables() -> None:
    source = (
        "{{#each items}}{{@index}}:{{this}}{{#if @first}}^{{/if}}{{#if @last}}${{/if}} {{/each}}"
    )
    assert fill(source, {"items": ["a", "b", "c"]}) == "0:a^ 1:b 2:c$ "


def test_each_over_a_map_gives_keys_and_else_covers_empty() -> None:
    assert fill("{{#each o}}{{@key}}={{.}};{{/each}}", {"o": {"a": 1, "b": 2}}) == "a=1;b=2;"
    assert fill("{{#each o}}x{{else}}none{{/each}}", {"o": []}) == "none"
    assert fill("{{#each missing}}x{{else}}none{{/each}}", {}) == "none"


def test_parent_paths_and_root_reach_outer_contexts() -> None:
    data = {"team": "T", "people": [{"name": "Ada", "pets": ["cat"]}]}
    source = "{{#each people}}{{#each pets}}{{this}} of {{../name}} in {{../../team}}/{{@root.team}}{{/each}}{{/each}}"
    assert fill(source, data) == "cat of Ada in T/T"


def test_with_changes_context_and_if_does_not() -> None:
    data = {"user": {"name": "Ada"}, "x": "X"}
    assert fill("{{#with user}}{{name}} {{../x}}{{else}}none{{/with}}", data) == "Ada X"
    assert fill("{{#with nobody}}{{name}}{{else}}none{{/with}}", data) == "none"
    assert fill("{{#if user}}{{../x}}{{x}}{{/if}}", data) == "X"


def test_mustache_sections_over_data() -> None:
    assert (
        fill("{{#items}}<{{.}}>{{/items}}{{^items}}empty{{/items}}", {"items": [1, 2]}) == "<1><2>"
    )
    assert fill("{{#items}}x{{/items}}{{^items}}empty{{/items}}", {"items": []}) == "empty"
    assert fill("{{#user}}{{name}}{{/user}}", {"user": {"name": "Ada"}}) == "Ada"


def test_comments_render_nothing() -> None:
    assert fill("a{{! short }}b{{!-- has }} inside --}}c", {}) == "abc"


def test_tildes_strip_whitespace_on_their_side() -> None:
    assert fill("a  \n {{~v~}} \n  b", {"v": 1}) == "a1b"
    assert fill("a {{~v}} b", {"v": 1}) == "a1 b"


def test_block_tags_alone_on_a_line_leave_no_blank_lines() -> None:
    source = "<ul>\n  {{#each items}}\n  <li>{{this}}</li>\n  {{/each}}\n</ul>\n"
    assert fill(source, {"items": [1, 2]}) == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n"
    source = "Hi\n{{#if coupon}}\nCode: {{coupon}}\n{{/if}}\nThanks"
    assert fill(source, {}) == "Hi\nThanks"
    assert fill(source, {"coupon": "X1"}) == "Hi\nCode: X1\nThanks"


def test_standalone_else_comments_and_windows_line_ends() -> None:
    template = compile_template("{{#if a}}\nyes\n{{else}}\nno\n{{/if}}\n")
    assert (template.render({"a": 1}), template.render({})) == ("yes\n", "no\n")
    assert fill("a\r\n  {{#if a}}  \r\nb\r\n{{/if}}\r\nc", {"a": 1}) == "a\r\nb\r\nc"
    assert fill("{{!-- note --}}\nHello", {}) == "Hello"
    assert fill("x {{#if a}}\ny{{/if}} z", {"a": 1}) == "x \ny z"  # not alone on its line


def test_escaped_braces_stay_literal() -> None:
    assert fill("\\{{name}} {{name}}", {"name": "Ada"}) == "{{name}} Ada"


def test_courier_loop_item_paths_with_dollar() -> None:
    assert (
        fill("{{$.item.name}} #{{add $.index 1}}", {"$": {"item": {"name": "Mouse"}, "index": 0}})
        == "Mouse #1"
    )


def test_a_template_is_parsed_once_and_rendered_many_times() -> None:
    template = compile_template("{{#each a}}{{this}}{{/each}}")
    assert compile_template("{{#each a}}{{this}}{{/each}}") is template
    assert [template.render({"a": a}) for a in (["x"], ["y", "z"], [])] == ["x", "yz", ""]
