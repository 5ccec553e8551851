"""Faults injected on purpose, for the tests that prove nothing is lost or doubled.

Named crash points:

``HERALD_CRASH_AT=deliver.after_attempt_recorded`` (or ``after_handoff``,
``after_provider_accepted``, ``after_outcome_recorded``) makes the process die on the
spot (no cleanup, no response) when that point is reached, exactly as an
instance that is killed or preempted would. With ``HERALD_CRASH_MARKER=path``
it dies only once: the marker file records the crash and later passes go on,
so a respawned worker or a redelivery sees the aftermath.

``HERALD_FAULT_DROP_PUSH=<workspace>`` makes a push consumer ack a push of that
workspace without handling it: a push lost for good, never redelivered, which
only the sweeper can make up for (once, with ``HERALD_CRASH_MARKER``).
"""

import os
import random
from pathlib import Path

CRASH_ENV = "HERALD_CRASH_AT"
MARKER_ENV = "HERALD_CRASH_MARKER"
DUPLICATE_ENV = "HERALD_FAULT_DUPLICATE_RATE"
DROP_PUSH_ENV = "HERALD_FAULT_DROP_PUSH"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) != name:
        return
    if marker := os.environ.get(MARKER_ENV):
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            return
    os._exit(70)


def push_lost(workspace: str) -> bool:
    """True when this push of ``workspace`` is to be dropped (see the module)."""
    if os.environ.get(DROP_PUSH_ENV) != workspace:
        return False
    if marker := os.environ.get(MARKER_ENV):
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            return False
    return True


def duplicate() -> bool:
    """True at the rate ``HERALD_FAULT_DUPLICATE_RATE`` (0 by default): publish twice,
    as Pub/Sub and triggers sometimes deliver twice."""
    rate = float(os.environ.get(DUPLICATE_ENV, "0") or 0)
    return rate > 0 and random.random() < rate
