"""A console page's own server time, as a ``Server-Timing`` header: how long the request
took from its session check to its answer (``total``), of which rendering the template
(``render``), the rest being reads (``read``: the session, the stores). The browser's
network panel shows it beside the page, and the console's benchmark reads it.

Kept per request in a context variable: the api serves each request in one thread.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

_started_ns: ContextVar[int | None] = ContextVar("console_started_ns", default=None)
_render_ns: ContextVar[int] = ContextVar("console_render_ns", default=0)


def start() -> None:
    """The request's page begins (at its session check)."""
    _started_ns.set(time.perf_counter_ns())
    _render_ns.set(0)


def rendered(took_ns: int) -> None:
    _render_ns.set(_render_ns.get() + took_ns)


def header() -> str | None:
    """The ``Server-Timing`` value of the request's page, once; None when it was not
    started (a page answered before its session check)."""
    started = _started_ns.get()
    if started is None:
        return None
    _started_ns.set(None)
    total = time.perf_counter_ns() - started
    render = min(_render_ns.get(), total)
    return ", ".join(
        f"{name};dur={ns / 1e6:.1f}"
        for name, ns in (("read", total - render), ("render", render), ("total", total))
    )
