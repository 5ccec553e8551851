"""Hostile text for a regular expression, built from the pattern itself, and a
measure of how its cost grows with the text's length.

Backtracking blows up where a repeated piece can match the same text in more than
one way, and a search restarts at every position: so the inputs are the pattern's
own matches cut short, then padded with a character of each class it uses
(``rgb(`` + spaces), and runs of its pieces repeated (``**a `` over and over).

Growth is measured as a ratio, in the same run: the cost of sixteen times the
text over the cost of the text, each the best of three runs of the CPU time of
this thread. Linear work gives 16, quadratic 256; the threshold, 48, leaves a
factor of three on the linear side for a loaded machine's noise (and caches that
a larger text outgrows), and of five on the other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

# Characters a class might be made of or be meant to exclude.
POOL = [*"aZ0_-.,:;/\\@#%&*+=?!~()[]{}<>\"'`|^$", " ", "\t", "\n", "é", "\u00a0", "\x00", "\x7f"]
MAX_ALPHABET = 10
MAX_PREFIXES = 8
MAX_MATCHES = 6
STEP = 16  # each size this many times the last
LINEAR_RATIO = float(STEP)
# Past twice the linear ratio: quadratic gives 16.
THRESHOLD = 3 * LINEAR_RATIO
# Below this, a measurement is mostly the timer's noise: its ratio is not judged.
NOISE_FLOOR_S = 0.0005


@dataclass(frozen=True)
class Hostile:
    """A text of any length: ``head`` once, then ``unit`` repeated."""

    head: str
    unit: str

    def of(self, size: int) -> str:
        repeats = max(size - len(self.head), 0) // max(len(self.unit), 1) + 1
        return (self.head + self.unit * repeats)[:size]

    def __str__(self) -> str:
        return f"{self.head!r} + {self.unit!r}..."


def _distinct(strings: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(strings))


def _node_pattern(op: Any, av: Any, flags: int) -> re.Pattern[str]:
    state = sre_parse.State()
    state.flags = flags
    return sre_compile.compile(sre_parse.SubPattern(state, [(op, av)]), flags)  # type: ignore[no-any-return]


class _Reader:
    """What the hostile text is made of: a character inside and one outside each class,
    and a few shortest matches of the pattern."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.flags = pattern.flags
        self.alphabet: list[str] = []
        self.runs: list[str] = []
        self.matches = self.sequence(sre_parse.parse(pattern.pattern, pattern.flags).data)

    def add(self, char: str) -> None:
        if char not in self.alphabet:
            self.alphabet.append(char)

    def one_char(self, op: Any, av: Any) -> str:
        """A character the single-character node matches; one it does not joins the alphabet."""
        node = _node_pattern(op, av, self.flags)
        inside = [c for c in POOL if node.fullmatch(c)]
        outside = [c for c in POOL if not node.fullmatch(c)]
        if op == sre.LITERAL:
            inside = [chr(av)]
        for char in inside[:2] + outside[:1]:
            self.add(char)
        return inside[0] if inside else "a"

    def sequence(self, items: list[Any]) -> list[str]:
        found = [""]
        run = ""
        for op, av in items:
            if op == sre.LITERAL:
                run += chr(av)
            elif run:
                self.runs.append(run)
                run = ""
            options = self.node(op, av)
            found = _distinct(a + b for a in found for b in options)[:MAX_MATCHES]
        if run:
            self.runs.append(run)
        return found

    def node(self, op: Any, av: Any) -> list[str]:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
            return [self.one_char(op, av)]
        if op == sre.BRANCH:  # the shortest matches of every alternative
            return _distinct(m for branch in av[1] for m in self.sequence(branch)[:2])
        if op == sre.SUBPATTERN:
            return self.sequence(av[-1])
        if op == sre.ATOMIC_GROUP:
            return self.sequence(av)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, items = av
            inner = self.sequence(items)
            return _distinct([inner[0] * low, inner[0] * max(low, 1)])
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            self.sequence(av[1])  # its characters, for the alphabet
        return [""]  # anchors, lookarounds, back references: nothing to consume


def hostile_texts(pattern: re.Pattern[str]) -> list[Hostile]:
    """Every hostile shape for ``pattern``, each once."""
    reader = _Reader(pattern)
    alphabet = reader.alphabet[:MAX_ALPHABET]
    shapes: dict[tuple[str, str], None] = {}
    for match in reader.matches:
        cuts = sorted({len(match) * i // MAX_PREFIXES for i in range(MAX_PREFIXES + 1)})
        for cut in cuts:
            for char in alphabet:
                shapes[(match[:cut], char)] = None  # a match cut short, then padding
                shapes[("", match[:cut] + char)] = None  # and that, over and over
        shapes[("", match)] = None
    for run in {r for r in reader.runs if len(r) > 1}:
        for char in ["", *alphabet]:
            shapes[("", run + char)] = None
    for first in alphabet:
        for second in alphabet:
            shapes[("", first + second)] = None
    return [Hostile(head, unit) for head, unit in shapes if unit]


# A run this long is measured once: noise is a small part of it.
LONG_RUN_S = 0.1


def cost(call: Callable[[str], object], text: str, repeats: int) -> float:
    """The CPU time of ``repeats`` calls: the least of three runs, unless the first is
    long enough to speak for itself."""
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        for _ in range(repeats):
            call(text)
        best = min(best, time.thread_time() - started)
        if best >= LONG_RUN_S:
            break
    return best


@dataclass(frozen=True)
class Growth:
    sizes: tuple[int, ...]
    seconds: tuple[float, ...]

    def worst_ratio(self) -> float:
        """The largest ratio between consecutive sizes measured above the noise."""
        ratios = [
            later / earlier
            for earlier, later in zip(self.seconds, self.seconds[1:], strict=False)
            if later >= NOISE_FLOOR_S and earlier > 0
        ]
        return max(ratios, default=1.0)


def growth(
    call: Callable[[str], object],
    text: Callable[[int], str],
    sizes: list[int],
    max_repeats: int = 1_024,
) -> Growth:
    """Costs at each size (each STEP times the last), stopping at the first ratio past
    the threshold, so superlinear work is caught before it gets expensive. Each size
    is called as many times (up to ``max_repeats``) as lifts the smallest above the
    timer's noise."""
    repeats = 1
    while repeats < max_repeats and cost(call, text(sizes[0]), repeats) < NOISE_FLOOR_S:
        repeats *= 4
    measured: list[float] = []
    for size in sizes:
        measured.append(cost(call, text(size), repeats))
        found = Growth(tuple(sizes[: len(measured)]), tuple(measured))
        if found.worst_ratio() > THRESHOLD:
            return found
    return Growth(tuple(sizes), tuple(measured))


def sizes_up_to(largest: int, steps: int) -> list[int]:
    """``steps`` sizes, each STEP times the last, ending at ``largest``."""
    return [max(largest // STEP**k, 1) for k in reversed(range(steps))]


def call_of(pattern: re.Pattern[str], use: str) -> Callable[[str], object]:
    """The pattern used as its callers use it."""
    if use == "sub":
        return lambda text: pattern.sub("", text)
    if use == "finditer":
        return lambda text: list(pattern.finditer(text))
    return getattr(pattern, use)  # type: ignore[no-any-return]


def shapes_by_cost(
    call: Callable[[str], object], shapes: list[Hostile], size: int
) -> Iterator[tuple[Hostile, float]]:
    for shape in shapes:
        yield shape, cost(call, shape.of(size), 1)
