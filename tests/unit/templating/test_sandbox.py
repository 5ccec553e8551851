"""Hostile templates end quickly with the right error and reach nothing but the data."""

import threading
import time
from typing import Any

import pytest

from herald.templating import (
    Limits,
    TemplateOutputTooLarge,
    TemplateRenderError,
    TemplateSyntaxError,
    TemplateTimeout,
    TemplateTooDeep,
    TemplateTooLarge,
    compile_expression,
    compile_template,
    evaluate,
    render,
)

DATA: dict[str, Any] = {"name": "Ada", "items": [1, 2], "user": {"name": "Ada"}}


@pytest.mark.parametrize(
    "source",
    [
        "{{constructor}}",
        "{{__class__}}",
        "{{__class__.__mro__}}",
        "{{this.__class__.__init__.__globals__}}",
        "{{name.__class__}}",
        "{{items.__len__}}",
        "{{items.append}}",
        "{{user.__dict__}}",
        "{{user.keys}}",
        "{{user.get}}",
        "{{@root.__class__}}",
        '{{lookup this "__globals__"}}',
        '{{lookup name "__class__"}}',
        '{{lookup items "pop"}}',
        '{{var "__class__.__mro__"}}',
        '{{path "user.__dict__"}}',
        "{{#with __builtins__}}{{open}}{{/with}}",
        "{{#each __class__.__subclasses__}}{{this}}{{/each}}",
        "{{items.-1}}",
        "{{items.99999999999999999999}}",
    ],
)
def test_nothing_outside_the_data_is_reachable(source: str) -> None:
    assert compile_template(source).render(DATA) == ""


def test_a_key_named_like_a_python_attribute_is_just_data() -> None:
    assert render("{{__class__}}", {"__class__": "plain"}) == "plain"


def test_exponential_each_in_each_hits_the_cpu_budget_in_about_its_budget() -> None:
    source = "{{#each a}}" + "".join(f"{{{{#each {'../' * n}a}}}}" for n in range(1, 6)) + "x"
    source += "{{/each}}" * 6
    template = compile_template(source)
    started = time.thread_time()
    with pytest.raises(TemplateTimeout, match="more than 100 ms of CPU time"):
        template.render({"a": list(range(100))}, limits=Limits(max_output_chars=10**12))
    assert time.thread_time() - started < 0.3


def test_output_cap_stops_a_blowup_early() -> None:
    template = compile_template("{{#each a}}{{#each ../a}}{{../../s}}{{/each}}{{/each}}")
    started = time.thread_time()
    with pytest.raises(TemplateOutputTooLarge, match="more than 262144 characters"):
        template.render({"a": list(range(1000)), "s": "x" * 100})
    assert time.thread_time() - started < 0.1


def test_helpers_cannot_build_values_past_the_cap() -> None:
    template = compile_template("{{#if (concat " + "s " * 300 + ")}}{{/if}}")
    with pytest.raises(TemplateOutputTooLarge, match="concat built a value"):
        template.render({"s": "x" * 1000})


def test_nesting_is_capped_for_blocks_and_subexpressions() -> None:
    with pytest.raises(TemplateTooDeep, match="nesting is deeper than 32"):
        compile_template("{{#if a}}" * 33 + "{{/if}}" * 33)
    compile_template("{{#if a}}" * 32 + "{{/if}}" * 32)
    with pytest.raises(TemplateTooDeep, match="line 1, column"):
        compile_template("{{not " + "(not " * 40 + "a" + ")" * 40 + "}}")


def test_deep_nesting_far_past_the_cap_fails_cleanly_not_with_recursion_error() -> None:
    with pytest.raises(TemplateTooDeep):
        compile_template("{{#if a}}" * 5000)
    with pytest.raises(TemplateTooDeep):
        compile_template("{{not " + "(" * 5000 + "}}")


def test_source_size_is_capped() -> None:
    with pytest.raises(TemplateTooLarge, match="longer than 262144 characters"):
        compile_template("x" * (256 * 1024 + 1))
    with pytest.raises(TemplateTooLarge):
        compile_template("{{a}}" * 30, limits=Limits(max_source_chars=100))


def test_huge_data_renders_within_limits() -> None:
    # 2,000 items take about 5 ms of the 100 ms budget: far from it even on a loaded machine.
    data = {"items": [{"name": f"n{i}"} for i in range(2_000)]}
    output = compile_template("{{#each items}}{{name}},{{/each}}").render(data)
    assert output.count(",") == 2_000


def test_huge_numbers_in_templates_and_data_do_not_break_rendering() -> None:
    assert render("{{format-number n}}", {"n": 10**300}).startswith("1,000,000")
    with pytest.raises(TemplateRenderError, match="add: result is not a finite number"):
        render("{{add 1" + "0" * 400 + " 1}}", {})


def test_the_cpu_budget_holds_in_a_worker_thread() -> None:
    # functions-framework runs handlers in worker threads, where signals cannot interrupt.
    errors: list[BaseException] = []
    template = compile_template(
        "{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}"
    )

    def work() -> None:
        try:
            template.render({"a": list(range(1000))}, limits=Limits(cpu_seconds=0.05))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=5)
    assert [type(e) for e in errors] == [TemplateTimeout]


def test_evaluate_returns_a_value_for_conditions() -> None:
    data = {"data": {"plan": "pro", "items": [1]}}
    assert evaluate("data.items", data) == [1]
    assert evaluate('{{eq data.plan "pro"}}', data) is True
    assert evaluate("data.__class__", data) is None


def test_an_expression_must_be_exactly_one_expression() -> None:
    with pytest.raises(TemplateSyntaxError, match="expected one expression"):
        compile_expression("{{a}} and {{b}}")
    with pytest.raises(TemplateSyntaxError, match="unknown helper"):
        compile_expression("nope a b")
    assert compile_expression("a.b").evaluate({"a": {"b": [1]}}) == [1]
