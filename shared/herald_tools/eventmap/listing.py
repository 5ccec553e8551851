"""``herald events``: every event with its producer, consumers, topic and schema version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from herald.events.registry import CONSUMER_VERSIONS, EVENTS, EventSpec
from herald_tools.schemafile import schema_file

COLUMNS = ("event", "version", "producer", "consumers", "topic", "schema", "released")


def rows(
    events: Iterable[EventSpec] = EVENTS,
    released: Set[tuple[str, int]] = frozenset(),
    declarations: Mapping[str, Mapping[str, tuple[int, ...]]] = CONSUMER_VERSIONS,
) -> list[dict[str, str]]:
    """One row per event version; a consumer is followed by the versions it accepts."""

    def consumer(name: str, spec: EventSpec) -> str:
        accepted = declarations.get(name, {}).get(spec.name, ())
        return f"{name}(v{','.join(map(str, sorted(accepted))) or '?'})"

    return [
        {
            "event": spec.name,
            "version": str(spec.version),
            "producer": " ".join(spec.producers),
            "consumers": " ".join(consumer(c, spec) for c in spec.consumers),
            "topic": spec.topic,
            "schema": f"schemas/events/{schema_file(spec.name, spec.version)}",
            "released": "yes" if (spec.name, spec.version) in released else "no",
        }
        for spec in events
    ]


def table(found: list[dict[str, str]]) -> str:
    widths = {c: max([len(c), *(len(r[c]) for r in found)]) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in COLUMNS).rstrip() for r in found]
    return "\n".join(lines)
