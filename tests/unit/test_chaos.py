"""The fault suites' chaos restarts a killed function as it ran, faults included."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

from herald_tools.local.chaos import Chaos


@dataclass
class FakeChild:
    signals: list[signal.Signals] = field(default_factory=list)

    def send_signal(self, sig: signal.Signals) -> None:
        self.signals.append(sig)

    def wait(self) -> None:
        return None


@dataclass
class FakeStack:
    functions: dict[str, FakeChild]
    started: list[tuple[str, dict[str, str] | None]] = field(default_factory=list)

    def start_function(
        self, name: str, wait: bool = True, env: dict[str, str] | None = None
    ) -> None:
        self.functions[name] = FakeChild()
        self.started.append((name, env))


def test_a_killed_function_starts_again_with_the_environment_it_ran_with() -> None:
    stack = FakeStack({"relay": FakeChild(), "render": FakeChild()})
    relay_env = {"HERALD_FAULT_DUPLICATE_RATE": "0.3"}
    chaos = Chaos(stack, ("relay", "render"), every_s=0, seed=1, env={"relay": relay_env})
    killed = [chaos.kill_one() for _ in range(20)]

    assert set(killed) == {"relay", "render"}
    assert stack.started == [(name, relay_env if name == "relay" else None) for name in killed]
    assert chaos.kills == {name: killed.count(name) for name in set(killed)}
