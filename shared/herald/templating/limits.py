"""The sandbox's limits, one immutable value passed to compiling and rendering."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    # CPU time of the rendering thread (time.thread_time), checked inside the render loop:
    # signal-based timeouts do not work in functions-framework's worker threads.
    cpu_seconds: float = 0.1
    # Characters of output, and of any single value a helper builds on the way.
    max_output_chars: int = 256 * 1024
    max_source_chars: int = 256 * 1024
    # Nested blocks plus nested subexpressions; also bounds the interpreter's recursion.
    max_depth: int = 32


DEFAULT_LIMITS = Limits()
