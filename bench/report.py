"""The suite's figures as tables: each beside its floor from the same run, and the goals.

``bench/baseline.json`` holds a run of the suite from before the send path and
the pipeline were made cheaper; its figures are the "before" column, and the
goals that are relative (half the CPU, twice the list rate) are taken from it.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).resolve().parent / "baseline.json"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

SEND_THROUGHPUT_GOAL = 0.8  # at least, of the floor's
SEND_P50_GOAL = 1.5  # at most, of the floor's
INVOCATIONS_GOAL = 8  # at most, per delivered email
CPU_GOAL = 0.5  # at most, of the baseline's, per delivered email
LIST_RATE_GOAL = 2.0  # at least, of the baseline's

Row = tuple[str, str, str, str, str, str]


def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def floor_cpu_ms(results: dict[str, Any]) -> float:
    """The floor handler's CPU per request, over all its runs."""
    runs = results["send"]
    cpu = sum(r["floor_cpu_ms_per_request"] * r["floor"]["requests"] for r in runs)
    return float(cpu / sum(r["floor"]["requests"] for r in runs))


def email_cpu_ms(results: dict[str, Any]) -> float:
    return float(sum(f["cpu_ms"] for f in results["per_email"]["functions"].values()))


def email_invocations(results: dict[str, Any]) -> float:
    return float(sum(f["invocations"] for f in results["per_email"]["functions"].values()))


def hop_rate(results: dict[str, Any]) -> float:
    """Messages per second the bare pipeline passes: hops at once, two per message."""
    latency = results["latency"]
    hops_per_s = latency["sends"] / (max(latency["floor_concurrent_ms"]) / 1000)
    return float(hops_per_s / latency["hops"])


def list_rate(entry: dict[str, Any]) -> float:
    return float(entry["recipients"] / entry["seconds"])


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _s(value_ms: float) -> str:
    return f"{value_ms / 1000:,.1f} s"


def rows(results: dict[str, Any], before: dict[str, Any] | None) -> list[Row]:
    found: list[Row] = []
    then = {r["connections"]: r for r in (before or {}).get("send", [])}
    for run in results.get("send", []):
        n, herald, floor = run["connections"], run["herald"], run["floor"]
        throughput = herald["requests"] / herald["seconds"]
        floor_throughput = floor["requests"] / floor["seconds"]
        old = then.get(n)
        old_ratio = (
            (old["herald"]["requests"] / old["herald"]["seconds"])
            / (old["floor"]["requests"] / old["floor"]["seconds"])
            if old
            else None
        )
        found.append(
            (
                f"`POST /send` throughput, {n} connection{'s' if n > 1 else ''}",
                f"{throughput:,.0f}/s",
                f"{floor_throughput:,.0f}/s",
                f"{throughput / floor_throughput:.2f}x",
                f"{old_ratio:.2f}x" if old_ratio else "",
                f"≥ {SEND_THROUGHPUT_GOAL}x",
            )
        )
        old_p50 = old["herald"]["p50_ms"] / old["floor"]["p50_ms"] if old else None
        found.append(
            (
                f"`POST /send` p50, {n} connection{'s' if n > 1 else ''}",
                _ms(herald["p50_ms"]),
                _ms(floor["p50_ms"]),
                f"{herald['p50_ms'] / floor['p50_ms']:.2f}x",
                f"{old_p50:.2f}x" if old_p50 else "",
                f"≤ {SEND_P50_GOAL}x",
            )
        )
    latency = results.get("latency")
    if latency is None or "send" not in results:
        return found + _import_rows(results, before)
    hops = latency["hops"]
    for label, key, floor_key in (
        ("one at a time", "sequential_ms", "floor_sequential_ms"),
        (f"{latency['sends']} at once", "concurrent_ms", "floor_concurrent_ms"),
    ):
        herald_p50, floor_p50 = p50(latency[key]), hops * p50(latency[floor_key])
        old = (before or {}).get("latency")
        old_ratio = p50(old[key]) / (hops * p50(old[floor_key])) if old else None
        found.append(
            (
                f"send → end state p50, {label}",
                _ms(herald_p50) if herald_p50 < 1000 else _s(herald_p50),
                f"{_ms(floor_p50) if floor_p50 < 1000 else _s(floor_p50)} ({hops} hops)",
                f"{herald_p50 / floor_p50:.2f}x",
                f"{old_ratio:.2f}x" if old_ratio else "",
                "",
            )
        )
    floor_cpu = floor_cpu_ms(results)
    cpu_ratio = email_cpu_ms(results) / floor_cpu
    old_cpu_ratio = email_cpu_ms(before) / floor_cpu_ms(before) if before else None
    found.append(
        (
            "function CPU per delivered email",
            _ms(email_cpu_ms(results)),
            f"{_ms(floor_cpu)} (floor handler, a request)",
            f"{cpu_ratio:.1f}x",
            f"{old_cpu_ratio:.1f}x" if old_cpu_ratio else "",
            f"≤ {CPU_GOAL * old_cpu_ratio:.1f}x" if old_cpu_ratio else "half the baseline",
        )
    )
    found.append(
        (
            "function invocations per delivered email",
            f"{email_invocations(results):.2f}",
            "",
            "",
            f"{email_invocations(before):.2f}" if before else "",
            f"≤ {INVOCATIONS_GOAL}",
        )
    )
    old_lists = {e["recipients"]: e for e in (before or {}).get("lists", [])}
    for entry in results.get("lists", []):
        rate, floor_rate = list_rate(entry), hop_rate(results)
        old = old_lists.get(entry["recipients"])
        found.append(
            (
                f"list send to {entry['recipients']:,}: messages/s",
                f"{rate:,.1f}/s ({entry['seconds']:,.0f} s)",
                f"{floor_rate:,.0f}/s (hop floor ÷ {hops})",
                f"{rate / floor_rate:.2f}x",
                f"{list_rate(old):,.1f}/s" if old else "",
                f"≥ {LIST_RATE_GOAL * list_rate(old):,.1f}/s" if old else "",
            )
        )
        found.append(
            (
                f"list send to {entry['recipients']:,}: Firestore reads, writes a message",
                f"{entry['reads']:.1f}, {entry['writes']:.1f}",
                "",
                "",
                f"{old['reads']:.1f}, {old['writes']:.1f}" if old else "",
                "",
            )
        )
    return found + _import_rows(results, before)


def _import_rows(results: dict[str, Any], before: dict[str, Any] | None) -> list[Row]:
    found: list[Row] = []
    old_imports = {i["function"]: i for i in (before or {}).get("imports", [])}
    for entry in results.get("imports", []):
        old = old_imports.get(entry["function"])
        found.append(
            (
                f"cold start: {entry['function']}",
                _ms(entry["herald_ms"]),
                f"{_ms(entry['libraries_ms'])} ({', '.join(entry['libraries'])})",
                f"{entry['herald_ms'] / entry['libraries_ms']:.2f}x",
                f"{old['herald_ms'] / old['libraries_ms']:.2f}x" if old else "",
                "",
            )
        )
    return found


def function_rows(results: dict[str, Any], before: dict[str, Any] | None) -> list[list[str]]:
    """Per function and delivered email: invocations, CPU, Firestore reads and writes."""
    now = results.get("per_email", {}).get("functions", {})
    old = (before or {}).get("per_email", {}).get("functions", {})
    table = []
    for name in sorted({*now, *old}):
        cells = []
        for figures in (now.get(name), old.get(name)):
            if figures is None:
                cells.append("-")
                continue
            cells.append(
                f"{figures['invocations']:.2f} · {figures['cpu_ms']:.1f} ms ·"
                f" {figures['reads']:.1f} r · {figures['writes']:.1f} w"
            )
        table.append([name, *cells])
    return table


def baseline() -> dict[str, Any] | None:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else None


def _aligned(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[k]) for row in (header, *body)) for k in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *body)
    ]
    return "\n".join(lines)


def _markdown(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


HEADER = ("", "Herald", "floor", "ratio", "before", "goal")
FUNCTION_HEADER = ("function", "now: invocations · CPU · reads · writes", "before")


def text(results: dict[str, Any]) -> str:
    before = baseline()
    return "\n\n".join(
        [
            f"{results['date']} · {results['machine']} · commit {results['commit']}",
            _aligned(HEADER, rows(results, before)),
            "per delivered email (100 sent at once):",
            _aligned(FUNCTION_HEADER, function_rows(results, before)),
        ]
    )


def markdown(results: dict[str, Any]) -> str:
    before = baseline()
    note = (
        f"Measured {results['date']} on {results['machine']} (load average"
        f" {results['load_average']:.1f} at the start), commit `{results['commit']}`"
    )
    if warm_up := results.get("lists_warm_up"):
        note += f"; list sends after an unmeasured one to {warm_up:,} (warms the emulators)"
    if before:
        note += f"; before: {before['date']}, commit `{before['commit']}`"
    return "\n\n".join(
        [
            START,
            "<!-- written by `python -m bench` from bench/results.json; do not edit -->",
            note + ".",
            _markdown(HEADER, rows(results, before)),
            "Per delivered email, each function (100 emails sent at once): invocations · CPU"
            " · Firestore reads · writes (deletes included).",
            _markdown(FUNCTION_HEADER, function_rows(results, before)),
            END,
        ]
    )


def write_readme(path: Path, results: dict[str, Any]) -> None:
    readme = path.read_text()
    block = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not block.search(readme):
        raise ValueError(f"{path} has no {START} ... {END} section to write the figures into")
    path.write_text(block.sub(lambda _: markdown(results), readme, count=1))
