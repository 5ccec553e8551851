"""The compatibility gate: what ``herald schemas check`` enforces over every event.

The rules, each a kind of problem below:

- ``breaking``: a published event version whose schema no longer accepts what
  its released schema did (see ``diff``). A breaking change is a new version.
- ``dropped``: a released version no longer in the registry. When an event's
  version is bumped, the old version stays published beside the new one
  through the transition, until every consumer reads the new one and the old is
  retired (``herald schemas retire``).
- ``retired``: a retired version published again.
- ``undeclared`` / ``not-accepted``: a consumer of an event version that does
  not declare it accepts that version.
- ``left-behind``: a consumer of an older version of an event that does not
  consume its newest version: retiring the old one would cut it off.
- ``stale-declaration``: a consumer declaring an event or version that it does
  not consume and that is not published or released (a typo, a leftover).
- ``duplicate``: the same event version registered twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from herald.events.registry import EventSpec
from herald_tools.schemagate.diff import Schema, breaking_changes

EventVersion = tuple[str, int]
# consumer -> event name -> versions it can handle
Declarations = Mapping[str, Mapping[str, tuple[int, ...]]]


@dataclass(frozen=True)
class Problem:
    kind: str
    event: str
    version: int
    message: str

    def __str__(self) -> str:
        return f"{self.event} v{self.version}: {self.message}"


def check(
    specs: Iterable[EventSpec],
    current: Mapping[EventVersion, Schema],
    released: Mapping[EventVersion, Schema],
    retired: Set[EventVersion],
    declarations: Declarations,
) -> list[Problem]:
    """Every problem with the registry's events against the released ones; none means pass."""
    specs = list(specs)
    published = {(s.name, s.version): s for s in specs}
    problems: list[Problem] = []

    for (name, version), count in sorted(Counter((s.name, s.version) for s in specs).items()):
        if count > 1:
            problems.append(Problem("duplicate", name, version, f"registered {count} times"))

    for key, spec in sorted(published.items()):
        if key in released:
            changes = breaking_changes(released[key], current[key])
            if changes:
                listed = "; ".join(str(c) for c in changes)
                problems.append(
                    Problem(
                        "breaking",
                        *key,
                        f"breaks its released schema ({listed}): keep v{spec.version} as "
                        f"released and publish the change as v{spec.version + 1}",
                    )
                )
        if key in retired:
            problems.append(
                Problem("retired", *key, "was retired and is published again: use a new version")
            )

    for key in sorted(set(released) - set(published)):
        name, version = key
        problems.append(
            Problem(
                "dropped",
                name,
                version,
                "was released but is no longer published: keep it in the registry beside the "
                "new version until every consumer accepts the new one, then "
                f"`herald schemas retire {name} {version}`",
            )
        )

    problems += _consumer_problems(specs, set(released) | set(retired), declarations)
    return problems


def _consumer_problems(
    specs: list[EventSpec], known: Set[EventVersion], declarations: Declarations
) -> list[Problem]:
    problems: list[Problem] = []
    versions_by_event: dict[str, list[EventSpec]] = defaultdict(list)
    for spec in specs:
        versions_by_event[spec.name].append(spec)

    for spec in specs:
        for consumer in spec.consumers:
            accepted = declarations.get(consumer, {}).get(spec.name)
            if accepted is None:
                problems.append(
                    Problem(
                        "undeclared",
                        spec.name,
                        spec.version,
                        f"consumer {consumer!r} declares no versions of it: add "
                        f"{spec.name!r}: ({spec.version},) under {consumer!r} in CONSUMER_VERSIONS",
                    )
                )
            elif spec.version not in accepted:
                problems.append(
                    Problem(
                        "not-accepted",
                        spec.name,
                        spec.version,
                        f"consumer {consumer!r} is subscribed but accepts only "
                        f"{_versions(accepted)}: teach it v{spec.version} and declare it",
                    )
                )

    for name, versions in sorted(versions_by_event.items()):
        newest = max(versions, key=lambda s: s.version)
        for spec in versions:
            for consumer in sorted(set(spec.consumers) - set(newest.consumers)):
                problems.append(
                    Problem(
                        "left-behind",
                        name,
                        spec.version,
                        f"consumer {consumer!r} is left behind: it consumes v{spec.version} "
                        f"but not the newest, v{newest.version}",
                    )
                )

    consumed = {(c, s.name, s.version) for s in specs for c in s.consumers}
    existing = {(s.name, s.version) for s in specs} | set(known)
    for consumer, events in sorted(declarations.items()):
        for name, accepted in sorted(events.items()):
            for version in accepted:
                if (consumer, name, version) not in consumed and (name, version) not in existing:
                    problems.append(
                        Problem(
                            "stale-declaration",
                            name,
                            version,
                            f"consumer {consumer!r} declares it accepts v{version}, "
                            "which is neither published nor released",
                        )
                    )
            if not any(c == consumer and n == name for c, n, _ in consumed):
                problems.append(
                    Problem(
                        "stale-declaration",
                        name,
                        max(accepted, default=0),
                        f"consumer {consumer!r} declares versions of an event it does not consume",
                    )
                )
    return problems


def _versions(accepted: tuple[int, ...]) -> str:
    return ", ".join(f"v{v}" for v in sorted(accepted)) or "none"
