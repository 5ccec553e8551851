"""What one render may still spend: fuel, and CPU time as a second guard.

Fuel is a deterministic count of work, charged before the work is done: an
interpreter step costs one unit, parsing costs per tag and per token, and a
helper costs in proportion to the characters and items it is given. A unit is
about a microsecond of CPU on a development machine, so the default 50,000 is
well inside the 100 ms of CPU time that ``Limits.cpu_seconds`` allows; that
clock is read as fuel is spent and stops whatever the fuel count missed.

One budget may cover several templates (every string of an Elemental content),
and the work around them (Markdown, an email's links): pass the same ``Budget``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from herald.templating.errors import TemplateOutOfFuel, TemplateTimeout
from herald.templating.limits import DEFAULT_LIMITS, Limits

# Text copied, compared or searched at C speed costs one unit per this many characters;
# text mapped character by character (escaped, case-mapped) per MAPPED_CHARS_PER_UNIT.
CHARS_PER_UNIT = 256
MAPPED_CHARS_PER_UNIT = 16
# Reading the thread's CPU clock is a system call: read it each time this much is spent.
CLOCK_EVERY = 64


class Budget:
    __slots__ = ("_deadline", "_next_clock", "limits", "locales", "used")

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.used = 0
        self._deadline = time.thread_time() + limits.cpu_seconds
        self._next_clock = CLOCK_EVERY
        # The locales this render has formatted by (herald.templating.helpers).
        self.locales: set[str | None] = set()

    @contextmanager
    def untimed(self) -> Iterator[None]:
        """Work an instance does once, not each render (a library imported, a locale's
        data read): its CPU time is not counted against the render's. What runs here is
        bounded by its caller, in fuel."""
        started = time.thread_time()
        try:
            yield
        finally:
            self._deadline += time.thread_time() - started

    def charge(self, units: int) -> None:
        """Spends ``units`` of fuel; raises ``TemplateOutOfFuel`` past the limit, and
        ``TemplateTimeout`` once the CPU time is used up."""
        self.used += units
        if self.used > self.limits.fuel:
            raise TemplateOutOfFuel(f"rendering needs more than {self.limits.fuel:,} units of fuel")
        if self.used >= self._next_clock:
            self._next_clock = self.used + CLOCK_EVERY
            if time.thread_time() > self._deadline:
                raise TemplateTimeout(
                    f"rendering took more than {self.limits.cpu_seconds * 1000:g} ms of CPU time"
                )

    def charge_text(self, chars: int, per_unit: int = CHARS_PER_UNIT) -> None:
        """Spends what handling ``chars`` characters costs, ``per_unit`` to a unit."""
        self.charge(1 + chars // per_unit)
