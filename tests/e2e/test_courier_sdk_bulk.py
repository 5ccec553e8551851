"""Conformance: Courier's Python SDK drives a bulk job on the local stack: created,
users added in two pages, run through the fan-out, each user's message readable.

As in ``test_courier_sdk``: the client validates every answer against the SDK's
own models, with retries off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

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


def test_a_bulk_job_is_created_filled_run_and_read_through_the_sdk(
    client: Courier, sinks: Client
) -> None:
    run = uuid.uuid4().hex[:8]
    created = client.bulk.create_job(
        message={
            "event": "bulk",
            "content": {"title": "Hello {{name}}", "body": "b"},
            "data": {"name": "there"},
        }
    )
    job_id = created.job_id
    assert client.bulk.retrieve_job(job_id).job.status == "CREATED"
    addresses = [f"{run}-{n}@example.com" for n in range(3)]
    client.bulk.add_users(
        job_id,
        users=[
            {"profile": {"email": addresses[0]}, "data": {"name": "Ada"}},
            {"profile": {"email": addresses[1]}},
        ],
    )
    client.bulk.add_users(job_id, users=[{"to": {"email": addresses[2]}}])
    pending = client.bulk.list_users(job_id)
    assert [u.status for u in pending.items] == ["PENDING", "PENDING"]
    client.bulk.run_job(job_id)

    def completed() -> Any:
        job = client.bulk.retrieve_job(job_id).job
        return job if job.status == "COMPLETED" else None

    job = eventually(completed, what="the job completed")
    assert (job.received, job.enqueued, job.failures) == (3, 3, 0)

    def mails() -> list[dict[str, Any]] | None:
        found = [m for m in sinks.get("/mail") if any(a in m["to"] for a in addresses)]
        return found if len(found) == len(addresses) else None

    subjects = sorted(m["subject"] for m in eventually(mails, what="a mail to each user"))
    assert subjects == ["Hello Ada", "Hello there", "Hello there"]
    users, cursor = [], None
    while True:
        page = client.bulk.list_users(job_id, cursor=cursor)
        users += page.items
        if not page.paging.more:
            break
        cursor = page.paging.cursor
    assert [u.status for u in users] == ["ENQUEUED"] * 3
    for user in users:
        assert user.message_id is not None
        assert client.messages.retrieve(user.message_id).status in ("SENT", "DELIVERED")
