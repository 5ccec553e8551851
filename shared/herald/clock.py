"""Wall-clock time in Courier's unit (epoch milliseconds)."""

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
