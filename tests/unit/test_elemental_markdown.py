"""Elemental's Markdown: the same output as the regular expressions it replaced, in
linear time, paid for from the render's budget."""

from __future__ import annotations

import random
import re

import pytest

from herald.elemental import ElementalRenderError, markdown, render_elemental
from herald.templating import Budget, Limits

# The patterns Herald used before: backtracking made them quadratic in hostile text.
# They stay here as the reference the scans must agree with.
LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s)\"<>]+)\)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
UNLIMITED = Limits(fuel=10**9, cpu_seconds=60)
MAX_TEXT = 256 * 1024


def reference_html(escaped: str, color: str) -> str:
    html = LINK.sub(lambda m: f'<a href="{m[2]}" style="color:{color};">{m[1]}</a>', escaped)
    html = BOLD.sub(r"<strong>\1</strong>", html)
    return ITALIC.sub(r"<em>\1</em>", html)


def reference_plain(text: str) -> str:
    text = LINK.sub(lambda m: f"{m[1]}: {m[2]}", text)
    return ITALIC.sub(r"\1", BOLD.sub(r"\1", text))


ATOMS = ["*", "**", "_", " ", "a", "é", "1", "\n", "\t", "\u00a0", "[", "]", "(", ")"]
ATOMS += ["http://", "https://x", "mailto:", '"', "<", ">"]


def test_the_scans_agree_with_the_reference_patterns_on_10000_random_texts() -> None:
    rng = random.Random(20261126)
    for _ in range(10_000):
        text = "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 16)))
        assert markdown.to_html(text, "red", Budget(UNLIMITED)) == reference_html(text, "red")
        assert markdown.to_plain(text, Budget(UNLIMITED)) == reference_plain(text)


@pytest.mark.parametrize(
    "text",
    [
        "a **b** c *d* _e_ [f](https://x.example/p?q=1) g",
        "**unclosed *and* [no link](javascript:alert(1)) ",
        "snake_case_words and 2*3*4 stay as they are",
        "**a line\nbreak** and *one\nmore*",
    ],
)
def test_examples_agree_with_the_reference(text: str) -> None:
    assert markdown.to_html(text, "#111", Budget(UNLIMITED)) == reference_html(text, "#111")
    assert markdown.to_plain(text, Budget(UNLIMITED)) == reference_plain(text)


def markdown_email(text: str, budget: Budget) -> dict[str, str]:
    content = {
        "version": "2022-01-01",
        "elements": [{"type": "text", "format": "markdown", "content": "{{{t}}}"}],
    }
    return render_elemental(content, "email", {"t": text}, limits=budget.limits, budget=budget)


@pytest.mark.parametrize(
    "unit",
    ["**a ", "*a ", "_a _", "[a](http://", "*", "[a](http://x" + "y" * 60],
    ids=["bold", "italic", "underscores", "links", "stars", "long urls"],
)
def test_hostile_markdown_of_the_largest_text_is_stopped_at_the_end_of_the_fuel(unit: str) -> None:
    # The review's case: "**a " x 8,000 took 5.4 s, after the render's budget had ended.
    budget = Budget(Limits(cpu_seconds=60))
    with pytest.raises(ElementalRenderError, match="more than 50,000 units of fuel"):
        markdown_email(unit * (MAX_TEXT // len(unit)), budget)
    assert budget.used == 50_001  # not one unit of work past the budget


def test_a_text_of_unclosed_labels_renders_inside_the_fuel() -> None:
    budget = Budget(Limits(cpu_seconds=60))
    markdown_email("[a" * (MAX_TEXT // 2), budget)
    assert budget.used < 25_000


def test_ordinary_markdown_of_fifty_thousand_characters_renders_well_inside_the_fuel() -> None:
    line = "Your **order** is *ready*: see [the receipt](https://shop.example/r/1).\n"
    budget = Budget(Limits(cpu_seconds=60))
    email = markdown_email(line * (50_000 // len(line)), budget)
    assert email["html"].count("<strong>order</strong>") == 50_000 // len(line)
    assert budget.used < 25_000
