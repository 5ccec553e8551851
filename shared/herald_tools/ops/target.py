"""What an operator command acts on: the local stack, or a Google Cloud project named.

In order:

1. the emulators named by ``FIRESTORE_EMULATOR_HOST`` / ``PUBSUB_EMULATOR_HOST``;
2. a project named with ``--project`` or ``GOOGLE_CLOUD_PROJECT``: a real one, on
   purpose only;
3. the local stack that ``herald up`` runs, found by its ``stack.json``.

Anything else is refused in one line that says how to point the command at
one or the other, rather than failing inside a client library.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from herald_tools.local import stackfile

DATABASE = "(default)"
HOW_TO_CHOOSE = (
    "start the local stack with ./herald up (commands find it by themselves), or name the "
    "Google Cloud project to act on with --project PROJECT or GOOGLE_CLOUD_PROJECT"
)


class NoTarget(Exception):
    """Neither a local stack nor a project to act on: the message says what to do."""


@dataclass(frozen=True)
class Target:
    project: str
    described: str  # one line for the operator: what is acted on, and why
    env: dict[str, str] = field(default_factory=dict)  # to set before any client is made
    local: bool = True


def resolve(
    project: str | None, state_dir: Path, environ: Mapping[str, str] | None = None
) -> Target:
    source = os.environ if environ is None else environ
    named = project or source.get("GOOGLE_CLOUD_PROJECT")
    emulators = {
        name: source[name]
        for name in ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")
        if source.get(name)
    }
    if emulators:
        chosen = named or "herald-local"
        hosts = ", ".join(f"{name}={host}" for name, host in emulators.items())
        return Target(
            chosen,
            f"project {chosen} on the emulators ({hosts})",
            {**emulators, "GOOGLE_CLOUD_PROJECT": chosen},
        )
    if named:
        how = "--project" if project else "GOOGLE_CLOUD_PROJECT"
        return Target(
            named,
            f"Google Cloud project {named}, Firestore database {DATABASE} (named by {how};"
            " leave it out to act on the local stack)",
            {"GOOGLE_CLOUD_PROJECT": named},
            local=False,
        )
    found = stackfile.read(state_dir)
    where = stackfile.path_in(state_dir)
    if found is None:
        raise NoTarget(
            f"no local stack is running (no {where}) and no project is named: {HOW_TO_CHOOSE}"
        )
    if not found.alive():
        raise NoTarget(
            f"the local stack of {where} is not running any more (process {found.pid}): "
            f"{HOW_TO_CHOOSE}"
        )
    return Target(
        found.project,
        f"the local stack at {found.api_url} (project {found.project}, Firestore emulator "
        f"{found.firestore_host})",
        found.env(),
    )
