"""Kills functions of a running local stack, one at a time, and starts each again."""

from __future__ import annotations

import random
import signal
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Protocol


class _Child(Protocol):
    def send_signal(self, sig: signal.Signals) -> None: ...

    def wait(self) -> object: ...


class Restartable(Protocol):
    """What of the stack the chaos uses (``Stack`` has it)."""

    @property
    def functions(self) -> Mapping[str, _Child]: ...

    def start_function(
        self, name: str, wait: bool = True, env: dict[str, str] | None = None
    ) -> None: ...


class Chaos(threading.Thread):
    """Kills one of ``killable`` (SIGKILL) at once, then every ``every_s``, and starts it
    again each time with the environment it ran with (``env``, e.g. the relay's
    duplicate-publish fault: a function restarted without it stops injecting)."""

    def __init__(
        self,
        stack: Restartable,
        killable: Sequence[str],
        every_s: float,
        seed: int,
        env: Mapping[str, dict[str, str]] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.stack, self.killable, self.every_s = stack, tuple(killable), every_s
        self.random = random.Random(seed)
        self.env = dict(env or {})
        self.stopping = threading.Event()
        self.kills: Counter[str] = Counter()

    def run(self) -> None:
        # The first kill comes as the work starts, not a period later: the pipeline may
        # finish a short run within two periods.
        while not self.stopping.is_set():
            self.kill_one()
            self.stopping.wait(self.every_s)

    def kill_one(self) -> str:
        name = self.random.choice(self.killable)
        child = self.stack.functions[name]
        child.send_signal(signal.SIGKILL)
        child.wait()
        self.stack.start_function(name, env=self.env.get(name))
        self.kills[name] += 1
        return name

    def stop(self) -> None:
        self.stopping.set()
        self.join()
