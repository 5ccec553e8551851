"""Rewriting an email's links (campaign parameters, click tracking): the anchors the
pattern Herald used to match, found in linear time and paid for from the render's
budget, even in a sender's own hostile HTML."""

from __future__ import annotations

import html
import random
import re

import pytest

from herald.engagement.tracking import MAX_HTML_CHARS, before_body_end, is_web_link, track_links
from herald.engagement.utm import add_utm
from herald.pipeline import rendering
from herald.templating import Budget, Limits, TemplateOutOfFuel, TemplateOutputTooLarge
from tests.unit.test_send_features import send, with_channels

# What Herald matched before: quadratic in "<a " repeated (17 s for 20,000).
REFERENCE = re.compile(r"(<a\b[^>]*?\bhref\s*=\s*)([\"'])(.*?)\2", re.IGNORECASE | re.DOTALL)
UNLIMITED = Limits(fuel=10**9, cpu_seconds=60)
ATOMS = ["<a", "<A", "<ab", " ", "\n", "href", "HREF", "data-", "=", '"', "'", ">", "<"]
ATOMS += ["x", "é", "_", "http://h/"]


def marked(markup: str) -> str:
    """Each http link's value marked, by the scan."""
    return track_links(markup, lambda url: f"[{url}]", Budget(UNLIMITED))


def marked_by_reference(markup: str) -> str:
    def swap(found: re.Match[str]) -> str:
        target = html.unescape(found[3]).strip()
        if not is_web_link(target):
            return found[0]
        return f"{found[1]}{found[2]}{html.escape(f'[{target}]', quote=True)}{found[2]}"

    return REFERENCE.sub(swap, markup)


def test_the_scan_finds_what_the_reference_pattern_found_in_20000_random_documents() -> None:
    rng = random.Random(20261126)
    for _ in range(20_000):
        markup = "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 14)))
        assert marked(markup) == marked_by_reference(markup)


def test_anchors_in_real_markup() -> None:
    markup = (
        '<p><A class="b" HREF = "https://a.example/?x=1&amp;y=2">a</A>'
        "<a title='see href' href='http://b.example'>b</a>"
        '<abbr href="http://not.example">c</abbr><a href="mailto:x@example.com">m</a></p>'
    )
    assert marked(markup) == marked_by_reference(markup)
    assert "[https://a.example/?x=1&amp;y=2]" in marked(markup)
    assert "'[http://b.example]'" in marked(markup) and "not.example" in marked(markup)


def test_the_review_case_costs_a_few_hundred_units() -> None:
    budget = Budget(UNLIMITED)
    track_links("<a " * 20_000, lambda url: url, budget)
    assert budget.used < 500


@pytest.mark.parametrize(
    "unit",
    ["<a href=x ", '<a href="', "<a href= ' ", '<a b="c" href="http://h/">', '<a href=">'],
    ids=["unquoted", "unclosed quotes", "single quotes", "many links", "quoted brackets"],
)
def test_hostile_html_of_the_largest_size_ends_within_the_fuel(unit: str) -> None:
    markup = unit * (MAX_HTML_CHARS // len(unit))
    budget = Budget(Limits(cpu_seconds=60))
    try:
        add_utm(markup, {"source": "herald"}, budget)
    except TemplateOutOfFuel:
        assert budget.used > 50_000
    else:
        assert budget.used <= 50_000


def test_html_longer_than_the_cap_is_refused_before_it_is_read() -> None:
    at_limit = "x" * MAX_HTML_CHARS
    assert track_links(at_limit, lambda url: url, Budget()) == at_limit
    assert before_body_end(at_limit, "!", Budget()) == at_limit + "!"
    with pytest.raises(TemplateOutputTooLarge, match="longer than 1048576 characters"):
        track_links(at_limit + "x", lambda url: url, Budget())
    with pytest.raises(TemplateOutputTooLarge):
        before_body_end(at_limit + "x", "!", Budget())


def test_a_message_whose_links_cost_more_than_the_budget_ends_failed_not_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fuel decides, not the CPU time of a machine that may be loaded.
    monkeypatch.setattr(rendering, "Budget", lambda: Budget(Limits(cpu_seconds=60)))
    api, pipeline = with_channels()
    raw = {"html": "<p>" + '<a href="http://h/">x</a>' * 2_000 + "</p>", "subject": "S"}
    content = {
        "version": "2022-01-01",
        "elements": [{"type": "channel", "channel": "email", "raw": raw}],
    }
    message = send(
        api,
        pipeline,
        {
            "to": {"email": "ada@example.com"},
            "content": content,
            "metadata": {"utm": {"source": "s"}},
        },
    )
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "FAILED")
    assert "units of fuel" in message["error"]
