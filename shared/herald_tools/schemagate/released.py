"""Released event schemas on disk: the baseline every change is checked against.

``schemas/released/events/<name>.v<N>.json`` is the last released schema of each
event version (``herald schemas release`` takes the snapshot; a compatible change
moves the baseline forward, a breaking one is refused). A version whose
transition is over moves to ``schemas/released/retired/`` (``herald schemas
retire``), so the gate no longer asks for it to be published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from herald.events.registry import CONSUMER_VERSIONS, EVENTS
from herald_tools import generate
from herald_tools.schemafile import schema_file
from herald_tools.schemagate.diff import Schema, breaking_changes
from herald_tools.schemagate.gate import EventVersion, Problem, check

RELEASED_DIR = Path("schemas/released/events")
RETIRED_DIR = Path("schemas/released/retired")

_FILE_NAME = re.compile(r"^(?P<name>.+)\.v(?P<version>\d+)\.json$")


class ReleaseRefused(Exception):
    """A release that would overwrite a released schema with an incompatible one."""


def _read_dir(directory: Path) -> dict[EventVersion, Schema]:
    found: dict[EventVersion, Schema] = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: not named <event>.v<N>.json")
        found[(match["name"], int(match["version"]))] = json.loads(path.read_text())
    return found


def released(root: Path) -> dict[EventVersion, Schema]:
    return _read_dir(root / RELEASED_DIR)


def retired(root: Path) -> set[EventVersion]:
    return set(_read_dir(root / RETIRED_DIR))


def problems(root: Path) -> list[Problem]:
    """The gate over this repository: the registry against its released schemas."""
    return check(EVENTS, generate.event_schemas(), released(root), retired(root), CONSUMER_VERSIONS)


def release(root: Path) -> list[Path]:
    """Snapshots every registered event version's schema as released; refuses a breaking one."""
    baseline = released(root)
    current = generate.event_schemas()
    refused = [
        f"{name} v{version}: " + "; ".join(str(c) for c in changes)
        for (name, version), schema in sorted(current.items())
        if (name, version) in baseline
        and (changes := breaking_changes(baseline[(name, version)], schema))
    ]
    if refused:
        raise ReleaseRefused("breaking changes to released versions:\n  " + "\n  ".join(refused))
    written = []
    for key, schema in sorted(current.items()):
        path = root / RELEASED_DIR / schema_file(*key)
        content = generate.rendered(schema)
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            written.append(path)
    return written


def retire(root: Path, name: str, version: int) -> Path:
    """Ends a version's transition: its released schema moves to ``retired/``."""
    if any(s.name == name and s.version == version for s in EVENTS):
        raise ReleaseRefused(f"{name} v{version} is still registered: remove it first")
    source = root / RELEASED_DIR / schema_file(name, version)
    if not source.exists():
        raise ReleaseRefused(f"{name} v{version} was never released")
    target = root / RETIRED_DIR / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    source.rename(target)
    return target
