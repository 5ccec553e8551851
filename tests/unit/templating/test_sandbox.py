"""Hostile templates end quickly with the right error and reach nothing but the data."""

import itertools
import threading
from dataclasses import replace
from typing import Any

import pytest

from herald.templating import (
    Budget,
    Limits,
    TemplateOutOfFuel,
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
from herald.templating.budget import CLOCK_EVERY

DATA: dict[str, Any] = {"name": "Ada", "items": [1, 2], "user": {"name": "Ada"}}
# Limits whose CPU-time guard never fires first: these tests count fuel, not time.
UNTIMED = Limits(cpu_seconds=60)


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


def fuel_of(source: str, data: dict[str, Any], limits: Limits = UNTIMED) -> int:
    """The fuel a template takes to compile and render: a count, the same on any machine."""
    budget = Budget(limits)
    compile_template(source, budget=budget).render(data, limits=limits, budget=budget)
    return budget.used


def test_a_render_has_exactly_its_fuel_and_not_one_unit_more() -> None:
    source = "{{#each items}}{{uppercase name}} {{format-date when 'YYYY-MM-DD'}},{{/each}}"
    data = {"items": [{"name": f"n{i}", "when": i * 86_400_000} for i in range(50)]}
    needed = fuel_of(source, data)
    assert needed == fuel_of(source, data)  # deterministic
    assert fuel_of(source, data, replace(UNTIMED, fuel=needed)) == needed
    with pytest.raises(TemplateOutOfFuel, match=f"more than {needed - 1:,} units of fuel"):
        fuel_of(source, data, replace(UNTIMED, fuel=needed - 1))


def test_exponential_each_in_each_runs_out_of_fuel_at_its_budget() -> None:
    source = "{{#each a}}" + "".join(f"{{{{#each {'../' * n}a}}}}" for n in range(1, 6)) + "x"
    source += "{{/each}}" * 6
    budget = Budget(replace(UNTIMED, max_output_chars=10**12))
    with pytest.raises(TemplateOutOfFuel, match="more than 50,000 units of fuel"):
        compile_template(source, budget=budget).render(
            {"a": list(range(100))}, limits=budget.limits, budget=budget
        )
    assert budget.used == 50_001  # stopped at the first unit past the budget


def test_output_cap_stops_a_blowup_early() -> None:
    budget = Budget(UNTIMED)
    template = compile_template("{{#each a}}{{#each ../a}}{{../../s}}{{/each}}{{/each}}")
    with pytest.raises(TemplateOutputTooLarge, match="more than 262144 characters"):
        template.render({"a": list(range(1000)), "s": "x" * 100}, budget=budget)
    # Stopped after 2,622 outputs of 100 characters (9 units each), a million short.
    assert budget.used < 25_000


def test_helpers_cannot_build_values_past_the_cap() -> None:
    template = compile_template("{{#if (concat " + "s " * 300 + ")}}{{/if}}")
    with pytest.raises(TemplateOutputTooLarge, match="concat was given more than 262144"):
        template.render({"s": "x" * 1000})
    joined = compile_template("{{#if (join l s)}}{{/if}}")
    with pytest.raises(TemplateOutputTooLarge, match="join would build a value"):
        joined.render({"l": [""] * 300, "s": "x" * 1000})


def test_nesting_is_capped_for_blocks_and_subexpressions() -> None:
    with pytest.raises(TemplateTooDeep, match="nesting is deeper than 32"):
        compile_template("{{#if a}}" * 33 + "{{/if}}" * 33)
    compile_template("{{#if a}}" * 32 + "{{/if}}" * 32)
    with pytest.raises(TemplateTooDeep, match="line 1, column"):
        compile_template("{{not " + "(not " * 40 + "a" + ")" * 40 + "}}")


def test_deep_nesting_far_past_the_cap_fails_cleanly_not_with_recursion_error() -> None:
    # Past Python's recursion limit (1,000), within the fuel of parsing.
    with pytest.raises(TemplateTooDeep):
        compile_template("{{#if a}}" * 1500)
    with pytest.raises(TemplateTooDeep):
        compile_template("{{not " + "(" * 1500 + "}}")


def test_source_size_is_capped() -> None:
    with pytest.raises(TemplateTooLarge, match="longer than 262144 characters"):
        compile_template("x" * (256 * 1024 + 1))
    with pytest.raises(TemplateTooLarge):
        compile_template("{{a}}" * 30, limits=Limits(max_source_chars=100))


def test_huge_data_renders_within_the_fuel() -> None:
    # Four units an item: 10,000 items take 40,001 of the 50,000.
    data = {"items": [{"name": f"n{i}"} for i in range(10_000)]}
    budget = Budget(UNTIMED)
    output = compile_template("{{#each items}}{{name}},{{/each}}").render(data, budget=budget)
    assert output.count(",") == 10_000
    assert budget.used == 40_001


def test_huge_numbers_in_templates_and_data_do_not_break_rendering() -> None:
    assert render("{{format-number n}}", {"n": 10**300}).startswith("1,000,000")
    with pytest.raises(TemplateRenderError, match="add: result is not a finite number"):
        render("{{add 1" + "0" * 400 + " 1}}", {})


def test_the_cpu_budget_holds_in_a_worker_thread_whatever_the_fuel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The second guard: functions-framework runs handlers in worker threads, where
    # signals cannot interrupt; the clock is read as fuel is spent. The thread's CPU
    # clock is a counter here, 10 ms a reading, so the guard fires after the same work
    # on every run, however loaded the machine.
    readings = itertools.count()
    monkeypatch.setattr("herald.templating.budget.time.thread_time", lambda: next(readings) * 0.01)
    errors: list[BaseException] = []
    spent: list[int] = []
    template = compile_template(
        "{{#each a}}{{#each ../a}}{{#each ../../a}}{{/each}}{{/each}}{{/each}}"
    )

    def work() -> None:
        run = Budget(Limits(fuel=10**12, cpu_seconds=0.05))
        try:
            template.render({"a": list(range(1000))}, budget=run)
        except BaseException as exc:
            errors.append(exc)
        spent.append(run.used)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert [type(e) for e in errors] == [TemplateTimeout]
    # Read once at the start, then every CLOCK_EVERY units: the sixth reading is past 50 ms.
    assert spent == [6 * CLOCK_EVERY]


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
