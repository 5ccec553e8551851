"""The span waterfall: tree order, the plain-text drawing and the standalone HTML page."""

from html.parser import HTMLParser
from typing import Any

import pytest

from herald.observability.spanfile import SpanLink, SpanRecord
from herald.observability.spantree import is_orphan, order_tree
from herald_tools.waterfall import BLOCK, render_html, render_text

TRACE = "0af7651916cd43dd8448eb211c80319c"
T0 = 1_700_000_000_000_000_000
MS = 1_000_000


def span(
    span_id: str,
    parent: str | None,
    name: str,
    start_ms: float,
    end_ms: float,
    *,
    kind: str = "INTERNAL",
    service: str = "herald-api",
    status: str = "UNSET",
    attributes: dict[str, Any] | None = None,
    links: list[SpanLink] | None = None,
) -> SpanRecord:
    return SpanRecord(
        trace_id=TRACE,
        span_id=span_id.rjust(16, "0"),
        parent_span_id=parent.rjust(16, "0") if parent is not None else None,
        name=name,
        kind=kind,
        service=service,
        start_ns=T0 + int(start_ms * MS),
        end_ns=T0 + int(end_ms * MS),
        status=status,
        attributes=attributes or {},
        links=links or [],
    )


ROOT = span("a1", None, "POST /v1/send", 0, 120, kind="SERVER", attributes={"http.status": 202})
VALIDATE = span("a2", "a1", "validate request", 5, 15)
PUBLISH = span("a3", "a1", "publish send-requests", 20, 30, kind="PRODUCER")
RECEIVE = span(
    "b1",
    "a3",
    "receive send-requests",
    40,
    100,
    kind="CONSUMER",
    service="herald-render",
    links=[SpanLink(TRACE, "00000000000000a3")],
)
RENDER = span("b2", "b1", "render template", 45, 60, kind="CLIENT", service="herald-render")
CACHE = span("b3", "b2", "template cache hit", 50, 50, service="herald-render")
SMTP = span(
    "c1",
    "b1",
    "smtp send",
    65,
    95,
    kind="CLIENT",
    service="herald-deliver",
    status="ERROR",
    attributes={"error.type": "SMTPServerDisconnected"},
)
ORPHAN = span("d1", "ffff", "retry deliver", 105, 118, service="herald-deliver")

EXPECTED_ORDER = [
    (0, ROOT),
    (1, VALIDATE),
    (1, PUBLISH),
    (2, RECEIVE),
    (3, RENDER),
    (4, CACHE),
    (3, SMTP),
    (0, ORPHAN),
]
# Deliberately not in start order, so ordering has to come from the tree.
SPANS = [SMTP, ORPHAN, CACHE, RECEIVE, ROOT, PUBLISH, RENDER, VALIDATE]


def line_of(text: str, name: str) -> str:
    matches = [line for line in text.splitlines() if name in line]
    assert len(matches) == 1, (name, matches)
    return matches[0]


class TagCollector(HTMLParser):
    """Checks that tags nest properly and collects the span rows."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input", "col", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.rows: list[dict[str, str | None]] = []
        self.bars: list[str] = []
        self.attribute_values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attribute_values.extend(value or "" for value in values.values())
        if tag == "tr" and "span" in (values.get("class") or "").split():
            self.rows.append(values)
        if tag == "div" and values.get("class") == "bar":
            self.bars.append(values.get("style") or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(page: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(page)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def bar_percentages(style: str) -> tuple[float, float]:
    props = dict(part.split(":", 1) for part in style.split(";") if part)
    return float(props["left"].rstrip("%")), float(props["width"].rstrip("%"))


# order_tree


def test_order_tree_is_depth_first_by_parent_with_children_by_start() -> None:
    ordered = order_tree(SPANS)

    assert [(depth, s.name) for depth, s in ordered] == [
        (depth, s.name) for depth, s in EXPECTED_ORDER
    ]


def test_order_tree_sorts_siblings_by_start_not_input_order() -> None:
    early = span("e1", "a1", "early", 1, 2)
    late = span("e2", "a1", "late", 50, 60)

    ordered = order_tree([late, ROOT, early])

    assert [s.name for _, s in ordered] == ["POST /v1/send", "early", "late"]


def test_only_spans_with_a_missing_parent_are_orphans() -> None:
    flagged = [s.name for depth, s in order_tree(SPANS) if is_orphan(depth, s)]

    assert flagged == ["retry deliver"]


def test_order_tree_keeps_spans_caught_in_a_parent_cycle() -> None:
    first = span("f1", "f2", "first", 0, 5)
    second = span("f2", "f1", "second", 1, 4)

    ordered = order_tree([second, first])

    assert [(depth, s.name) for depth, s in ordered] == [(0, "first"), (1, "second")]


# render_text


def test_text_header_names_trace_total_and_count() -> None:
    header = render_text(SPANS).splitlines()[0]

    assert TRACE in header
    assert "120.0 ms" in header
    assert "8 spans" in header


def test_text_lists_every_span_once_in_tree_order() -> None:
    lines = render_text(SPANS).splitlines()

    positions = [
        next(i for i, line in enumerate(lines) if s.name in line) for _, s in EXPECTED_ORDER
    ]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(EXPECTED_ORDER)


def test_text_indents_names_by_depth() -> None:
    text = render_text(SPANS)
    root_column = line_of(text, ROOT.name).index(ROOT.name)

    indents = {s.name: line_of(text, s.name).index(s.name) - root_column for _, s in EXPECTED_ORDER}

    assert indents == {s.name: 2 * depth for depth, s in EXPECTED_ORDER}


def test_text_bars_start_later_for_later_spans() -> None:
    text = render_text(SPANS)

    by_start = sorted(SPANS, key=lambda s: s.start_ns)
    bar_starts = [line_of(text, s.name).index(BLOCK) for s in by_start]

    assert bar_starts == sorted(bar_starts)
    assert len(set(bar_starts)) == len(bar_starts)


def test_text_bar_length_follows_duration() -> None:
    text = render_text(SPANS)

    blocks = {s.name: line_of(text, s.name).count(BLOCK) for s in SPANS}

    assert blocks[ROOT.name] == max(blocks.values())
    assert blocks[RECEIVE.name] > blocks[SMTP.name] > blocks[VALIDATE.name]
    assert blocks[CACHE.name] == 1


def test_text_root_bar_spans_the_whole_axis() -> None:
    text = render_text(SPANS)

    root_bar = line_of(text, ROOT.name).rstrip()
    first, last = root_bar.index(BLOCK), root_bar.rindex(BLOCK)
    assert root_bar[first : last + 1] == BLOCK * (last - first + 1)
    # The orphan ends 2 ms before the root, so its bar must stop at or before the root's.
    orphan_bar = line_of(text, ORPHAN.name)
    assert orphan_bar.rindex(BLOCK) <= last
    assert orphan_bar.index(BLOCK) > first


@pytest.mark.parametrize(
    ("record", "duration"),
    [
        (ROOT, "120.0 ms"),
        (VALIDATE, "10.0 ms"),
        (RECEIVE, "60.0 ms"),
        (SMTP, "30.0 ms"),
        (CACHE, "0.00 ms"),
        (ORPHAN, "13.0 ms"),
    ],
)
def test_text_shows_each_duration(record: SpanRecord, duration: str) -> None:
    assert line_of(render_text(SPANS), record.name).rstrip().endswith(duration)


def test_text_marks_errors_and_orphans_only() -> None:
    text = render_text(SPANS)

    for _, s in EXPECTED_ORDER:
        line = line_of(text, s.name)
        assert line.startswith("!") == (s is SMTP), line
        assert ("(orphan)" in line) == (s is ORPHAN), line


def test_text_shows_services() -> None:
    text = render_text(SPANS)

    assert "[herald-render]" in line_of(text, RENDER.name)
    assert "[herald-deliver]" in line_of(text, SMTP.name)
    assert "[herald-api]" in line_of(text, ROOT.name)


@pytest.mark.parametrize("width", [50, 60, 100, 160])
def test_text_lines_fit_the_width(width: int) -> None:
    long_name = span("g1", "a1", "x" * 200, 10, 20)

    text = render_text([*SPANS, long_name], width=width)

    assert max(len(line) for line in text.splitlines()) <= width
    assert "(orphan)" in line_of(text, "retry")


def test_text_truncated_name_keeps_orphan_marker() -> None:
    orphan = span("g2", "ffff", "y" * 200, 0, 10)

    line = line_of(render_text([orphan]), "yyyy")

    assert "…" in line
    assert "(orphan)" in line


def test_text_handles_a_trace_of_only_zero_duration_spans() -> None:
    instant = span("h1", None, "instant", 5, 5)

    text = render_text([instant])

    assert line_of(text, "instant").count(BLOCK) == 1
    assert "0.00 ms" in line_of(text, "instant")


@pytest.mark.parametrize("at_ms", [0, 60, 120])
def test_text_zero_duration_span_on_a_column_edge_still_gets_a_block(at_ms: int) -> None:
    instant = span("h2", "a1", "instant", at_ms, at_ms)

    text = render_text([ROOT, instant])

    assert line_of(text, "instant").count(BLOCK) == 1


def test_text_of_no_spans_says_so() -> None:
    assert "no spans" in render_text([]).lower()


# render_html


def test_html_is_well_formed_with_one_row_per_span() -> None:
    parsed = parse(render_html(SPANS))

    assert len(parsed.rows) == len(SPANS)
    assert len(parsed.bars) == len(SPANS)


def test_html_rows_are_in_tree_order() -> None:
    page = render_html(SPANS)

    positions = [page.index(f'{s.name} <span class="service">') for _, s in EXPECTED_ORDER]
    assert positions == sorted(positions)


def test_html_bars_are_positioned_on_a_common_axis() -> None:
    parsed = parse(render_html(SPANS))
    bars = dict(zip([s.name for _, s in EXPECTED_ORDER], parsed.bars, strict=True))

    assert bar_percentages(bars[ROOT.name]) == (0.0, 100.0)
    assert bar_percentages(bars[RECEIVE.name]) == pytest.approx((40 / 120 * 100, 50.0), abs=1e-3)
    assert bar_percentages(bars[CACHE.name]) == pytest.approx((50 / 120 * 100, 0.0), abs=1e-3)


def test_html_marks_errors_and_orphans() -> None:
    parsed = parse(render_html(SPANS))
    classes = [(row["class"] or "").split() for row in parsed.rows]  # rows come in EXPECTED_ORDER

    flagged = {
        s.name: {"error", "orphan"} & set(cls)
        for (_, s), cls in zip(EXPECTED_ORDER, classes, strict=True)
    }
    assert flagged[SMTP.name] == {"error"}
    assert flagged[ORPHAN.name] == {"orphan"}
    assert all(not marks for name, marks in flagged.items() if name not in {SMTP.name, ORPHAN.name})
    assert "(orphan)" in render_html(SPANS)


def test_html_tooltip_carries_attributes_and_links() -> None:
    parsed = parse(render_html(SPANS))
    titles = {
        s.name: row["title"] or "" for (_, s), row in zip(EXPECTED_ORDER, parsed.rows, strict=True)
    }

    assert "error.type = SMTPServerDisconnected" in titles[SMTP.name]
    assert "http.status = 202" in titles[ROOT.name]
    assert "publish send-requests" in titles[RECEIVE.name]  # the linked producer, by name


def test_html_escapes_span_text() -> None:
    nasty = span(
        "i1",
        "a1",
        "<script>alert(1)</script>",
        10,
        20,
        service='svc"><b>',
        attributes={"q": "\"'><img src=x>"},
    )

    page = render_html([ROOT, nasty])

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page
    assert "<img" not in page
    parsed = parse(page)
    assert len(parsed.rows) == 2
    assert "\"'><img src=x>" in (parsed.rows[1]["title"] or "")


def test_html_references_no_external_resources() -> None:
    page = render_html(SPANS)
    parsed = parse(page)

    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert "<link" not in page
    assert "url(" not in page
    assert not [v for v in parsed.attribute_values if v.startswith("//")]


def test_html_of_no_spans_says_so() -> None:
    page = render_html([])

    parsed = parse(page)
    assert parsed.rows == []
    assert "no spans" in page.lower()


def test_html_handles_zero_duration_trace() -> None:
    parsed = parse(render_html([span("h1", None, "instant", 5, 5)]))

    assert [bar_percentages(bar) for bar in parsed.bars] == [(0.0, 0.0)]
