"""Named crash points for fault-injection tests.

``HERALD_CRASH_AT=deliver.after_attempt_recorded`` makes the process die on the
spot (no cleanup, no response) the first time that point is reached, exactly as
an instance that is killed or preempted would.
"""

import os

CRASH_ENV = "HERALD_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(70)
