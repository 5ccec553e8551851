"""Function invocations, counted from the spans the local stack's functions write.

Every invocation opens exactly one span of kind SERVER (an HTTP function: the
api's request, the sweep's run) or CONSUMER (the relay's trigger, a push): the
entry points in ``herald.entrypoints`` are the only places that open either.
``SpanTail`` reads only what the span files gained since it last looked, so a
long run is counted without re-reading it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from herald.observability.spanfile import SpanRecord

INVOCATION_KINDS = frozenset({"SERVER", "CONSUMER"})
SERVICE_PREFIX = "herald-"


def function_of(span: SpanRecord) -> str:
    return span.service.removeprefix(SERVICE_PREFIX)


def invocations(spans: Iterable[SpanRecord]) -> Counter[str]:
    """Invocations per function (``api``, ``relay``, ...)."""
    return Counter(function_of(s) for s in spans if s.kind in INVOCATION_KINDS)


class SpanTail:
    """The spans written to a directory's files since the previous ``read``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._offsets: dict[Path, int] = {}

    def skip(self) -> None:
        """Forgets what is there now: the next ``read`` starts from here."""
        for path in self.directory.glob("*.jsonl"):
            self._offsets[path] = path.stat().st_size

    def read(self) -> list[SpanRecord]:
        spans = []
        for path in sorted(self.directory.glob("*.jsonl")):
            with path.open("rb") as handle:
                handle.seek(self._offsets.get(path, 0))
                data = handle.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line being written waits for later
            self._offsets[path] = self._offsets.get(path, 0) + len(complete)
            spans += [SpanRecord.from_json(line) for line in complete.decode().splitlines() if line]
        return spans
