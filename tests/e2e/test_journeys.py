"""Journeys driven by Courier's SDK on the local stack: a draft published, invoked through a
delay on the durable timer to emails in the sink, replaced and rolled back, canceled by
token and by run id, archived."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier
from courier.types.cancel_journey_response import RunIDBranch, TokenBranch

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


def mails_to(sinks: Client, address: str) -> list[dict[str, Any]]:
    return [m for m in sinks.get("/mail") if address in m["to"]]


def nodes_sending(template_id: str, *, wait: str | None = None) -> list[Any]:
    nodes: list[Any] = [{"type": "trigger", "trigger_type": "api-invoke", "id": "start"}]
    nodes.append({"type": "send", "id": "first", "message": {"template": template_id}})
    if wait is not None:
        nodes.append({"type": "delay", "id": "wait", "mode": "duration", "duration": wait})
        nodes.append({"type": "send", "id": "second", "message": {"template": template_id}})
    return [*nodes, {"type": "exit", "id": "end"}]


def template(api: Client) -> str:
    template_id = unique("journey-mail")
    content = {"title": "Hello {{name}}", "body": "Order {{order}}"}
    assert api.request("PUT", f"/templates/{template_id}", {"content": content})[0] == 200
    return template_id


def test_a_published_journey_runs_through_a_delay_to_delivered_emails(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id = template(api)
    draft = client.journeys.create(name="Welcome", nodes=nodes_sending(template_id, wait="PT2S"))
    assert (draft.state, draft.published) == ("DRAFT", None)
    with pytest.raises(courier.BadRequestError, match="no published version"):
        client.journeys.invoke(draft.id, user_id="nobody")
    live = client.journeys.publish(draft.id)
    assert live.state == "PUBLISHED" and live.published is not None
    assert draft.id in [j.id for j in client.journeys.list().templates or []]
    assert client.journeys.retrieve(draft.id, version="v1").name == "Welcome"

    user = unique("user")
    address = f"{user}@example.com"
    run = client.journeys.invoke(
        draft.id, user_id=user, profile={"email": address}, data={"order": 7, "name": "Ada"}
    )

    def both_mails() -> list[dict[str, Any]] | None:
        found = mails_to(sinks, address)
        return found if len(found) == 2 else None

    first, _ = eventually(both_mails, what="both mails, the second after the delay")
    assert (first["subject"], first["text"]) == ("Hello Ada", "Order 7")

    def processed() -> Any:
        found = client.journeys.runs.retrieve(run.run_id).run
        return found if found.status == "PROCESSED" else None

    detail = eventually(processed, what="the run processed")
    assert (detail.template_id, detail.source) == (draft.id, [f"invoke/{draft.id}"])
    steps = client.journeys.runs.list_steps(run.run_id).steps
    assert [(s.action, s.node_id, s.status) for s in steps] == [
        ("send", "first", "PROCESSED"),
        ("delay", "wait", "PROCESSED"),
        ("send", "second", "PROCESSED"),
    ]
    assert steps[0].message_id is not None
    assert client.messages.retrieve(steps[0].message_id).recipient == address
    status, message = api.request("GET", f"/messages/{steps[0].message_id}")
    assert (status, message["automationRunId"]) == (200, run.run_id)
    assert run.run_id in [r.run_id for r in client.journeys.runs.list(limit="50").runs]


def test_a_replaced_draft_waits_for_publish_and_a_version_can_be_published_again(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id = template(api)
    journey = client.journeys.create(
        name="One send", nodes=nodes_sending(template_id), state="PUBLISHED"
    )
    replaced = client.journeys.replace(
        journey.id, name="Two sends", nodes=nodes_sending(template_id, wait="PT1S")
    )
    assert replaced.name == "Two sends"
    assert client.journeys.retrieve(journey.id).name == "One send"  # still live
    client.journeys.publish(journey.id)
    assert client.journeys.retrieve(journey.id).name == "Two sends"
    versions = client.journeys.list_versions(journey.id)
    assert [v.version for v in versions.results] == ["v2", "v1"]
    client.journeys.publish(journey.id, version="v1")
    user = unique("user")
    address = f"{user}@example.com"
    run = client.journeys.invoke(journey.id, user_id=user, profile={"email": address})
    eventually(lambda: mails_to(sinks, address), what="the rolled back version's one mail")
    steps = eventually(
        lambda: (
            [s for s in client.journeys.runs.list_steps(run.run_id).steps if s.status]
            if client.journeys.runs.retrieve(run.run_id).run.status == "PROCESSED"
            else None
        ),
        what="the run processed",
    )
    assert [s.node_id for s in steps] == ["first"]
    client.journeys.archive(journey.id)
    with pytest.raises(courier.NotFoundError):
        client.journeys.invoke(journey.id, user_id=user)


def test_journey_runs_are_canceled_by_token_and_by_run_id(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id = template(api)
    journey = client.journeys.create(
        name="Reminder",
        nodes=nodes_sending(template_id, wait="PT3S"),
        cancelation_token="order-{{data.order}}",
        state="PUBLISHED",
    )
    users = [unique("user") for _ in range(3)]
    runs = [
        client.journeys.invoke(
            journey.id, user_id=user, profile={"email": f"{user}@example.com"}, data={"order": n}
        ).run_id
        for n, user in enumerate(users)
    ]

    def waiting() -> bool:
        return all(client.journeys.runs.retrieve(r).run.status == "WAITING" for r in runs)

    eventually(waiting, what="every run in its delay")
    by_token = client.journeys.cancel(cancelation_token="order-0")
    assert isinstance(by_token, TokenBranch) and by_token.cancelation_token == "order-0"
    by_id = client.journeys.cancel(run_id=runs[1])
    assert isinstance(by_id, RunIDBranch) and (by_id.run_id, by_id.status) == (runs[1], "CANCELED")

    def ended() -> list[str] | None:
        found = [str(client.journeys.runs.retrieve(r).run.status) for r in runs]
        return found if "WAITING" not in found and "PROCESSING" not in found else None

    assert eventually(ended, what="every run ended") == ["CANCELED", "CANCELED", "PROCESSED"]
    eventually(lambda: len(mails_to(sinks, f"{users[2]}@example.com")) == 2, what="two mails")
    # The canceled runs sent their first mail, before the cancel, and nothing after it.
    for run_id, user in zip(runs[:2], users[:2], strict=True):
        steps = client.journeys.runs.list_steps(run_id).steps
        assert [s.status for s in steps] == ["PROCESSED", "CANCELED", "CANCELED"]
        assert steps[2].message_id is None
        mails = eventually(lambda: mails_to(sinks, f"{user}@example.com"), what="its mail")  # noqa: B023
        assert len(mails) == 1
