"""How a function's server stops: within seconds of SIGTERM, its telemetry flushed.

functions-framework serves with gunicorn, whose worker waits up to 30 s
(``graceful_timeout``) for requests still in flight, and then exits only once
every handler thread has returned. Cloud Run sends SIGKILL 10 s after SIGTERM,
so a request held by a slow client or a hung call would have the instance
killed, its buffered spans and metrics lost.

``stop_promptly()``, called when a function's module loads (before the server
starts), makes the worker give requests in flight ``IN_FLIGHT_GRACE_S``, then
flush spans and metrics within ``FLUSH_BUDGET_S`` and exit without waiting for
handler threads still stuck: their work is redelivered, as after any crash
(every consumer is idempotent). The arbiter kills a worker that overruns even
that after ``HARD_STOP_S``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from herald.observability import metrics, tracing

IN_FLIGHT_GRACE_S = 2
FLUSH_BUDGET_S = 1.0
HARD_STOP_S = 4  # well inside Cloud Run's 10 s, and the 5 s the tests hold it to


def stop_promptly() -> None:
    """Sets functions-framework's gunicorn server to stop promptly (see the module)."""
    try:
        from functions_framework._http import gunicorn as served
    except ImportError:  # no gunicorn (the debug server): nothing to set
        return
    if getattr(served.GunicornApplication, "stops_promptly", False):
        return

    class PromptlyStopping(served.GunicornApplication):
        stops_promptly = True

        def load_config(self) -> None:
            super().load_config()  # type: ignore[no-untyped-call]
            self.cfg.set("graceful_timeout", HARD_STOP_S)
            self.cfg.set("post_fork", _shorten_worker_grace)
            self.cfg.set("worker_exit", _flush_and_exit)

    served.GunicornApplication = PromptlyStopping  # type: ignore[misc]


def _shorten_worker_grace(server: Any, worker: Any) -> None:
    """In the worker only (its copy of the settings): requests in flight get less time
    than the arbiter waits, so that the flush fits in between."""
    worker.cfg.set("graceful_timeout", IN_FLIGHT_GRACE_S)


def _flush_and_exit(server: Any, worker: Any) -> None:
    """The worker's last step: flush, then exit with its status, leaving stuck threads."""
    ending = sys.exc_info()[1]
    code = ending.code if isinstance(ending, SystemExit) else 1
    flush_telemetry(FLUSH_BUDGET_S)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


def flush_telemetry(budget_s: float) -> None:
    """Exports what is buffered, spans then metrics, each within the budget."""
    tracing.flush(timeout_s=budget_s)
    metrics.flush(timeout_s=budget_s)
