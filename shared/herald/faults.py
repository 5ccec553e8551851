"""Named crash points for fault-injection tests.

``HERALD_CRASH_AT=deliver.after_attempt_recorded`` makes the process die on the
spot (no cleanup, no response) when that point is reached, exactly as an
instance that is killed or preempted would. With ``HERALD_CRASH_MARKER=path``
it dies only once: the marker file records the crash and later passes go on,
so a respawned worker or a redelivery sees the aftermath.
"""

import os
from pathlib import Path

CRASH_ENV = "HERALD_CRASH_AT"
MARKER_ENV = "HERALD_CRASH_MARKER"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) != name:
        return
    if marker := os.environ.get(MARKER_ENV):
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            return
    os._exit(70)
