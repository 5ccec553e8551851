"""What the functions spent over a stretch of time: CPU, invocations, Firestore operations.

CPU comes from /proc (each function's server and its workers), invocations from
the spans the functions wrote meanwhile (``herald_tools.local.invocations``), Firestore
operations from the counting client each function uses in the benchmark's stack
(``herald_tools.local.firestore_counts``). Nothing is estimated.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from herald_tools.local.firestore_counts import WRITE_EVERY_S, FirestoreCounts
from herald_tools.local.invocations import SpanTail, invocations
from herald_tools.local.stack import Stack


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return 0.0  # gone (a function being restarted)
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(int(c)) for c in children)


def descendants(pid: int) -> list[int]:
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return [pid] + [d for c in children for d in descendants(c)]


@dataclass
class Usage:
    seconds: float
    cpu_s: dict[str, float]  # per function
    emulators_cpu_s: dict[str, float]
    invocations: Counter[str]
    firestore: dict[str, FirestoreCounts] = field(default_factory=dict)  # per function

    @property
    def function_cpu_s(self) -> float:
        return sum(self.cpu_s.values())

    @property
    def firestore_total(self) -> FirestoreCounts:
        total = FirestoreCounts()
        for counts in self.firestore.values():
            total = total + counts
        return total


class Meter:
    def __init__(self, stack: Stack, counts_dir: Path) -> None:
        self.stack = stack
        self.counts_dir = counts_dir
        self.spans = SpanTail(stack.trace_dir)

    def _cpu(self) -> dict[str, float]:
        return {
            name: cpu_seconds(child.pid)
            for name, child in self.stack.functions.items()
            if child.pid is not None
        }

    def _emulators_cpu(self) -> dict[str, float]:
        pids = {
            "firestore": self.stack.emulators.firestore_pid,
            "pubsub": self.stack.emulators.pubsub_pid,
        }
        return {name: cpu_seconds(pid) for name, pid in pids.items() if pid}

    def _counts(self) -> dict[str, FirestoreCounts]:
        """Each function's Firestore operations so far, from its processes' count files."""
        owner = {
            pid: name
            for name, child in self.stack.functions.items()
            if child.pid is not None
            for pid in descendants(child.pid)
        }
        found: dict[str, FirestoreCounts] = {}
        for path in self.counts_dir.glob("*.json"):
            name = owner.get(int(path.stem))
            if name is None:
                continue
            try:
                counts = FirestoreCounts.from_json(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
            found[name] = found.get(name, FirestoreCounts()) + counts
        return found

    def start(self) -> None:
        time.sleep(2 * WRITE_EVERY_S)  # what came before is written down
        self.spans.skip()
        self._started = time.monotonic()
        self._cpu_before = self._cpu()
        self._emulators_before = self._emulators_cpu()
        self._counts_before = self._counts()

    def stop(self, quiet_s: float = 2.0, deadline_s: float = 60.0) -> Usage:
        """What was spent since ``start``, once nothing has run for ``quiet_s``: the work that
        follows an end state (a webhook, an observer) is counted too."""
        seconds = time.monotonic() - self._started
        spans = self.spans.read()
        quiet_since, deadline = time.monotonic(), time.monotonic() + deadline_s
        while time.monotonic() - quiet_since < quiet_s and time.monotonic() < deadline:
            time.sleep(0.25)
            if more := self.spans.read():
                spans += more
                quiet_since = time.monotonic()
        cpu, emulators = self._cpu(), self._emulators_cpu()
        time.sleep(2 * WRITE_EVERY_S)  # the last counts are written down
        counts = self._counts()
        return Usage(
            seconds=seconds,
            cpu_s={name: cpu[name] - self._cpu_before.get(name, 0.0) for name in cpu},
            emulators_cpu_s={n: emulators[n] - self._emulators_before[n] for n in emulators},
            invocations=invocations(spans),
            firestore={
                name: counts[name] - self._counts_before.get(name, FirestoreCounts())
                for name in counts
            },
        )
