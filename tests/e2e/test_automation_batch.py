"""The batch step on the local stack: runs invoked together through Courier's SDK, one
continuation when the window ends (on the durable timer), one mail holding every run."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

WINDOW_S = 8


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def test_runs_batched_in_one_window_continue_once_with_every_runs_data(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id = f"digest-{uuid.uuid4().hex[:10]}"
    content = {"title": "{{batch.count}} comments", "body": "{{#each batch.items}}{{n}};{{/each}}"}
    assert api.request("PUT", f"/templates/{template_id}", {"content": content})[0] == 200
    user = f"user-{uuid.uuid4().hex[:10]}"
    address = f"{user}@example.com"
    steps: list[Any] = [  # the SDK's types know no batch step: Herald's own
        {"action": "batch", "window": f"{WINDOW_S} seconds", "batch_key": "comments"},
        {"action": "send"},
    ]
    # Windows are aligned on multiples of their length: start just after one begins, so
    # the runs invoked together fall in one window.
    eventually(lambda: time.time() % WINDOW_S < 0.5, what="the start of a window")
    runs = [
        client.automations.invoke.invoke_ad_hoc(
            automation={"steps": steps},
            recipient=user,
            profile={"email": address},
            template=template_id,
            data={"n": n},
        ).run_id
        for n in range(3)
    ]

    def ended() -> list[dict[str, object]] | None:
        found = [api.get(f"/automations/runs/{run_id}") for run_id in runs]
        return found if all(r["status"] in ("PROCESSED", "BATCHED") for r in found) else None

    found = eventually(ended, what="every run through its batch")
    # The run that reaches a window's batch first owns it; the pushes may bring any of
    # them first. Each other run names its owner.
    owners = [
        run_id for run_id, run in zip(runs, found, strict=True) if run["status"] == "PROCESSED"
    ]
    members: dict[str, list[int]] = {owner: [runs.index(owner)] for owner in owners}
    for n, (run_id, run) in enumerate(zip(runs, found, strict=True)):
        if run_id not in members:
            owner = str(run["reason"]).removeprefix("step 0: batched into run ")
            assert run["status"] == "BATCHED" and owner in members, run
            members[owner].append(n)
    # Invoked at a window's start, the runs share it; on a busy machine the invokes may
    # reach into the next one, never past it.
    assert len(owners) < len(runs), found

    def batch_mails() -> list[dict[str, Any]] | None:
        mails = [m for m in sinks.get("/mail") if address in m["to"]]
        return mails if len(mails) >= len(owners) else None

    mails = eventually(batch_mails, what="a mail for each batch")
    assert sorted((m["subject"], _listed(m["text"])) for m in mails) == sorted(
        (f"{len(numbers)} comments", sorted(numbers)) for numbers in members.values()
    )


def _listed(text: str) -> list[int]:
    """The runs' ``n`` a batch's mail lists (``n;`` for each)."""
    return sorted(int(n) for n in text.removesuffix(";").split(";"))
