"""Hostile data and templates against the sandbox's memory and fuel bounds, each at its
limit and one past it. Memory is measured with tracemalloc (what Python allocated,
the same on every run), work in fuel (a count), never in wall-clock time."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from herald.domain.rendering import RenderFailed, render_channel
from herald.templating import (
    HELPERS,
    Budget,
    Limits,
    TemplateOutOfFuel,
    TemplateOutputTooLarge,
    TemplateRenderError,
    compile_template,
)

LIMIT = 256 * 1024
UNTIMED = Limits(cpu_seconds=60)


@contextmanager
def peak_bytes() -> Iterator[list[int]]:
    """The most Python held at once inside the block, beyond what it held before."""
    found: list[int] = []
    tracemalloc.start()
    try:
        yield found
    finally:
        found.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def render(source: str, data: dict[str, Any], escape: bool = False) -> str:
    return compile_template(source).render(data, escape_html=escape, limits=UNTIMED)


# -- memory: sized before built


def test_join_builds_a_value_of_exactly_the_cap_and_refuses_one_more_without_building_it() -> None:
    at_limit = {"l": ["x" * 32] * 8_192, "s": ""}  # 8,192 x 32 = 262,144 characters
    with peak_bytes() as peak:
        assert len(render("{{join l s}}", at_limit)) == LIMIT
    assert peak[0] < 2 * LIMIT  # the value and its parts, once

    past = {"l": at_limit["l"], "s": "-"}  # 8,191 separators more
    with peak_bytes() as peak, pytest.raises(TemplateOutputTooLarge, match="join would build"):
        render("{{join l s}}", past)
    assert peak[0] < LIMIT // 2  # the count, never the value


def test_join_of_a_long_list_with_a_long_separator_never_allocates_the_product() -> None:
    # The review's case: a 240 KB send asked for gigabytes. 10,000 x 3,000 = 30 MB here.
    data = {"l": [""] * 10_000, "s": "x" * 3_000}
    with peak_bytes() as peak, pytest.raises(TemplateOutputTooLarge):
        render("{{join l s}}", data)
    assert peak[0] < LIMIT // 2


def test_join_takes_at_most_max_items() -> None:
    assert render("{{length (join l '')}}", {"l": ["x"] * 10_000}) == "10000"
    with pytest.raises(TemplateRenderError, match="join: takes at most 10,000 items, got 10,001"):
        render("{{join l ''}}", {"l": ["x"] * 10_001})


def test_arguments_are_counted_as_they_are_built_so_a_call_never_holds_more_than_the_cap() -> None:
    # A hundred subexpressions of 200,000 characters each: refused at the second.
    source, data = "{{concat " + "(uppercase s) " * 100 + "}}", {"s": "x" * 200_000}
    with peak_bytes() as peak, pytest.raises(TemplateOutputTooLarge, match="was given more"):
        render(source, data)
    assert peak[0] < 3 * 200_000  # two built, never a hundred
    assert len(render("{{concat (uppercase s) (uppercase s)}}", {"s": "x" * (LIMIT // 2)})) == LIMIT


def test_escaping_is_sized_before_the_escaped_text_is_built() -> None:
    quotes = "'" * (LIMIT // 6)  # each escapes to &#x27;: six characters
    assert len(render("{{s}}", {"s": quotes}, escape=True)) == LIMIT // 6 * 6
    with peak_bytes() as peak, pytest.raises(TemplateOutputTooLarge):
        render("{{s}}", {"s": quotes + "'" * 11}, escape=True)  # two more escapes past
    assert peak[0] < LIMIT // 4


# -- fuel: every helper pays for its input


def _call_with(name: str, size: int) -> tuple[str, dict[str, Any]]:
    """A call of ``name`` whose input grows with ``size``, and its data."""
    text = (
        "7" * min(size, 300)
        if name.startswith(("add", "subtract", "multiply", "format-n", "format_n"))
        else "a" * size
    )
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "join": ("{{join l ','}}", {"l": ["a"] * min(size, 10_000)}),
        "lookup": ("{{lookup m s}}", {"m": {}, "s": text}),
        "condition": ("{{condition s '==' s}}", {"s": text}),
        "format-date": ("{{format-date 0 f}}", {"f": "Y" * min(size, 100)}),
        "format_date": ("{{format_date 0 f}}", {"f": "Y" * min(size, 100)}),
    }
    if name in calls:
        return calls[name]
    helper = HELPERS[name]
    args = " ".join(["s"] * max(helper.min_args, 1))
    return f"{{{{{name} {args}}}}}", {"s": text}


@pytest.mark.parametrize("name", sorted(HELPERS))
def test_every_helper_spends_fuel_in_proportion_to_its_input(name: str) -> None:
    def fuel(size: int) -> int:
        source, data = _call_with(name, size)
        budget = Budget(UNTIMED)
        template = compile_template(source)
        with suppress(TemplateRenderError):  # refusing the input after paying for it is fine
            template.render(data, escape_html=False, limits=UNTIMED, budget=budget)
        return budget.used

    small, large = fuel(100), fuel(100_000)
    if name.startswith(("add", "subtract", "multiply", "format")):
        assert large >= small  # inputs capped: numbers at 400 characters, formats at 100
    else:
        assert large - small >= 99_900 // 256  # at least a unit per 256 characters


def test_format_date_refuses_a_long_format_and_a_long_date() -> None:
    assert render("{{format-date 0 f}}", {"f": "[x]" * 32 + "YYYY"}) == "x" * 32 + "1970"
    with pytest.raises(TemplateRenderError, match="a format has at most 100 characters, got 101"):
        render("{{format-date 0 f}}", {"f": "[x]" * 32 + "YYYYY"})
    with pytest.raises(TemplateRenderError, match="is not an ISO 8601 date"):
        render("{{format-date d}}", {"d": "2024-05-01" + " " * 54})  # 64: parsed, and wrong
    with pytest.raises(TemplateRenderError, match="a date has at most 64 characters, got 65"):
        render("{{format-date d}}", {"d": "2024-05-01" + " " * 55})


def test_format_date_in_a_loop_runs_out_of_fuel_instead_of_cpu() -> None:
    # The review's case: format-date looped over its input without ticking.
    source = "{{#each l}}{{format-date 0 ../f}}{{/each}}"
    budget = Budget(UNTIMED)
    with pytest.raises(TemplateOutOfFuel):
        compile_template(source).render(
            {"l": [0] * 10_000, "f": "YYYY " * 20}, limits=UNTIMED, budget=budget
        )
    assert 50_000 < budget.used <= 50_000 + 2 * 100  # stopped at the call past the budget


def test_numbers_longer_than_any_number_are_refused() -> None:
    assert render("{{add s 1}}", {"s": "0" * 399 + "1"}) == "2"
    with pytest.raises(TemplateRenderError, match="got 401 characters"):
        render("{{add s 1}}", {"s": "0" * 400 + "1"})


# -- parsing is paid for too


def _dense(chars: int) -> str:
    return "{{a}}" * (chars // 5)


def test_a_send_of_dense_tags_is_refused_within_one_budget_per_render() -> None:
    # The review's case: a 200 KB body, rendered for 20 recipients, took 37 s of CPU.
    budget = Budget(UNTIMED)
    with pytest.raises(RenderFailed, match="units of fuel"):
        render_channel("email", {"title": "", "body": _dense(200_000)}, {}, budget=budget)
    assert 50_000 < budget.used <= 50_000 + 2 * 100  # stopped at the call past the budget


def test_the_parse_costs_the_same_fuel_cached_or_not() -> None:
    small = _dense(5_000)  # cached after the first compile
    fuels = []
    for _ in range(2):
        budget = Budget(UNTIMED)
        compile_template(small, budget=budget)
        fuels.append(budget.used)
    large = _dense(10_000)  # never cached
    budget = Budget(UNTIMED)
    compile_template(large, budget=budget)
    assert fuels[0] == fuels[1] > 0
    assert budget.used == 2 * fuels[0]


def _fuel_of_parse(source: str) -> int:
    budget = Budget(Limits(fuel=10**9, cpu_seconds=60))
    compile_template(source, budget=budget)
    return budget.used


@pytest.mark.parametrize(
    "make",
    [
        _dense,
        lambda n: "{{#if a}}x{{/if}}" * (n // 17),
        lambda n: "{{concat " + "b " * (n // 2 - 10) + "}}",
        lambda n: '{{concat "' + "x" * (n - 14) + '"}}',
        lambda n: "x" * n,
    ],
    ids=["tags", "blocks", "arguments", "a long string", "text"],
)
def test_parsing_costs_fuel_in_proportion_to_the_source(make: Callable[[int], str]) -> None:
    small, large = _fuel_of_parse(make(4_000)), _fuel_of_parse(make(32_000))
    assert large - small >= (32_000 - 4_000) // 256
