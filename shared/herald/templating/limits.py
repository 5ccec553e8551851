"""The sandbox's limits, one immutable value passed to compiling and rendering."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    # Fuel: a deterministic count of the work one render may do (see ``budget``): the
    # limit that stops hostile templates, and the one tests assert on.
    fuel: int = 50_000
    # CPU time of the rendering thread (time.thread_time), the second guard, read as fuel
    # is spent: signal-based timeouts do not work in functions-framework's worker threads.
    cpu_seconds: float = 0.1
    # Characters of output, and of any value a helper builds or is given on the way.
    max_output_chars: int = 256 * 1024
    max_source_chars: int = 256 * 1024
    # Nested blocks plus nested subexpressions; also bounds the interpreter's recursion.
    max_depth: int = 32
    # Items a helper takes from one list (join).
    max_items: int = 10_000


DEFAULT_LIMITS = Limits()
