"""Dead letters as ``herald replay`` prints them (the service is ``herald.publish.dead_letters``,
built by the composition root, as the console's is)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from herald.publish.dead_letters import DeadLetter


def counts(letters: Iterable[DeadLetter], consumers: Iterable[str]) -> dict[str, int]:
    """Dead letters per consumer, every consumer named (zero included), by name."""
    found = dict.fromkeys(sorted(set(consumers)), 0)
    for letter in letters:
        found[letter.consumer] = found.get(letter.consumer, 0) + 1
    return found


def describe(letter: DeadLetter) -> str:
    try:
        seq = json.loads(letter.data).get("seq")
    except ValueError:
        seq = None
    attempts = letter.attempts if letter.attempts is not None else "?"
    return (
        f"{letter.consumer:<8}{letter.event_type:<24}{letter.event_id}"
        f"  (seq {seq}, {attempts} attempts)"
    )
