"""Conformance: Courier's Python SDK drives audiences on the local stack, and a send to
``to.audience_id`` reaches the profiles the filter matches.

As in ``test_courier_sdk``: the client validates every answer against the SDK's
own models, with retries off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_an_audience_is_managed_through_the_sdk_and_a_send_reaches_its_members(
    client: Courier, sinks: Client
) -> None:
    cohort, audience_id = unique("cohort"), unique("audience")
    users = {unique("user"): plan for plan in ("gold", "gold", "silver")}
    addresses = {user: f"{user}@example.com" for user in users}
    for user, plan in users.items():
        client.profiles.create(
            user, profile={"email": addresses[user], "cohort": cohort, "plan": plan}
        )
    updated = client.audiences.update(
        audience_id,
        name="Gold",
        description="paying users of one cohort",
        filter={
            "filters": [
                {"operator": "EQ", "path": "cohort", "value": cohort},
                {"operator": "EQ", "path": "plan", "value": "gold"},
            ]
        },
        operator="AND",
    )
    assert (updated.audience.id, updated.audience.operator) == (audience_id, "AND")
    got = client.audiences.retrieve(audience_id)
    assert got.filter is not None and len(got.filter.filters) == 2
    assert audience_id in [a.id for a in client.audiences.list().items]

    gold = sorted(user for user, plan in users.items() if plan == "gold")
    members: list[str] = []
    cursor = None
    while True:  # a page reads a bounded number of profiles: follow the cursor
        page = client.audiences.list_members(audience_id, cursor=cursor)
        members += [m.member_id for m in page.items]
        if not page.paging.more:
            break
        cursor = page.paging.cursor
    assert sorted(members) == gold

    client.send.message(
        message={
            "to": {"audience_id": audience_id, "data": {"plan": "gold"}},
            "content": {"title": "Your {{plan}} plan", "body": "b"},
        }
    )
    expected = sorted(addresses[user] for user in gold)

    def mails_to_members() -> list[dict[str, Any]] | None:
        found = [m for m in sinks.get("/mail") if any(a in m["to"] for a in addresses.values())]
        return found if len(found) >= len(expected) else None

    mails = eventually(mails_to_members, what="a mail to each member")
    assert sorted(a for m in mails for a in addresses.values() if a in m["to"]) == expected
    assert {m["subject"] for m in mails} == {"Your gold plan"}

    client.audiences.delete(audience_id)
    with pytest.raises(courier.NotFoundError):
        client.audiences.retrieve(audience_id)
