"""Automations driven by Courier's SDK on the local stack: a stored automation and an ad hoc
one, through a delay on the durable timer, to emails in the sink."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.data_server import Answer, serving
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


def test_automations_run_through_a_delay_to_delivered_emails(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id, automation_id = unique("reminder"), unique("series")
    status, body = api.request(
        "PUT",
        f"/templates/{template_id}",
        {"content": {"title": "Reminder {{profile.name}}", "body": "Your {{plan}} plan"}},
    )
    assert status == 200, body
    # Herald's own route: Courier authors automation templates in its app.
    steps = [{"action": "delay", "duration": "2 seconds"}, {"action": "send"}]
    status, body = api.request(
        "PUT",
        f"/automations/{automation_id}",
        {"name": "Reminder", "automation": {"steps": steps}},
    )
    assert status == 204, body
    listed = client.automations.list().templates or []
    assert automation_id in [t.id for t in listed]

    user = unique("user")
    address = f"{user}@example.com"
    client.profiles.create(user, profile={"email": address, "name": "Ada"})
    stored = client.automations.invoke.invoke_by_template(
        automation_id, recipient=user, template=template_id, data={"plan": "pro"}
    )
    ad_hoc_address = f"{unique('adhoc')}@example.com"
    ad_hoc = client.automations.invoke.invoke_ad_hoc(
        automation={"steps": [{"action": "send", "template": template_id}]},
        recipient=unique("user"),
        profile={"email": ad_hoc_address},
        data={"plan": "free"},
    )

    [mail] = eventually(lambda: mails_to(sinks, address), what="the mail after the delay")
    assert (mail["subject"], mail["text"]) == ("Reminder Ada", "Your pro plan")
    eventually(lambda: mails_to(sinks, ad_hoc_address), what="the ad hoc run's mail")

    def processed(run_id: str) -> Any:
        found = client.automations.runs.list_steps(run_id).steps
        return found if all(s.status == "PROCESSED" for s in found) else None

    delay, send = eventually(lambda: processed(stored.run_id), what="the run's steps")
    assert (delay.action, send.action) == ("delay", "send")
    assert send.message_id is not None and delay.message_id is None
    message = client.messages.retrieve(send.message_id)
    assert message.recipient == address
    # This module's runs are the stack's only ones: one page holds them.
    runs = client.automations.runs.list(limit="50").runs
    assert {stored.run_id, ad_hoc.run_id} <= {r.run_id for r in runs}
    status, run = api.request("GET", f"/automations/runs/{stored.run_id}")
    assert (status, run["status"], run["template_id"]) == (200, "PROCESSED", automation_id)


def test_fetch_data_if_invoke_and_send_list_run_on_the_stack(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id, follow_up, list_id = unique("plan"), unique("follow-up"), unique("list")
    content = {"title": "Plan {{plan}}", "body": "For {{profile.name}}"}
    assert api.request("PUT", f"/templates/{template_id}", {"content": content})[0] == 200
    status, body = api.request(
        "PUT",
        f"/automations/{follow_up}",
        {"name": "Follow-up", "automation": {"steps": [{"action": "send"}]}},
    )
    assert status == 204, body
    assert api.request("PUT", f"/lists/{list_id}", {"name": "News"})[0] == 204
    member = unique("member")
    member_address = f"{member}@example.com"
    client.profiles.create(member, profile={"email": member_address, "name": "Bo"})
    assert api.request("PUT", f"/lists/{list_id}/subscriptions/{member}")[0] == 204

    user = unique("user")
    address = f"{user}@example.com"
    with serving() as server:
        server.answers["/account"] = Answer(body=b'{"plan": "pro", "confirmed": false}')
        steps: list[Any] = [
            {
                "action": "fetch-data",
                "webhook": {"method": "GET", "url": server.url("/account")},
                "merge_strategy": "overwrite",
            },
            {"action": "send", "if": "data.confirmed"},
            {"action": "send", "if": "{{not data.confirmed}}"},
            {"action": "invoke", "template": follow_up},
            {"action": "send-list", "list": list_id},
        ]
        run = client.automations.invoke.invoke_ad_hoc(
            automation={"steps": steps},
            recipient=user,
            profile={"email": address, "name": "Ada"},
            template=template_id,
            data={"plan": "free"},
        )

        def ended(run_id: str) -> Any:
            found = client.automations.runs.list_steps(run_id).steps
            return found if all(s.status in ("PROCESSED", "SKIPPED") for s in found) else None

        found = eventually(lambda: ended(run.run_id), what="the run's steps")
        assert [s.status for s in found] == [
            "PROCESSED",
            "SKIPPED",
            "PROCESSED",
            "PROCESSED",
            "PROCESSED",
        ]
        assert [(s.method, s.path) for s in server.seen] == [("GET", "/account")]

    mails = eventually(
        lambda: m if len(m := mails_to(sinks, address)) == 2 else None,
        what="the send step's mail and the invoked run's",
    )
    assert [m["subject"] for m in mails] == ["Plan pro", "Plan pro"]
    [listed] = eventually(lambda: mails_to(sinks, member_address), what="the list's mail")
    assert (listed["subject"], listed["text"]) == ("Plan pro", "For Bo")
    sent = found[2].message_id
    assert sent is not None
    status, message = api.request("GET", f"/messages/{sent}")
    assert (status, message["automationRunId"]) == (200, run.run_id)
    status, detail = api.request("GET", f"/automations/runs/{run.run_id}")
    child_id = detail["steps"][3]["run_id"]
    status, child = api.request("GET", f"/automations/runs/{child_id}")
    assert (status, child["parent_run_id"], child["template_id"]) == (200, run.run_id, follow_up)


def test_a_throttle_lets_through_its_limit_of_runs_invoked_together(
    client: Courier, api: Client, sinks: Client
) -> None:
    template_id = unique("throttled")
    content = {"title": "Once", "body": "At most twice a week"}
    assert api.request("PUT", f"/templates/{template_id}", {"content": content})[0] == 200
    user = unique("user")
    address = f"{user}@example.com"
    steps: list[Any] = [
        # A week's window: runs invoked together are not split by a window's end.
        {"action": "throttle", "max_allowed": 2, "period": "1 week", "scope": "user"},
        {"action": "send"},
    ]
    runs = [
        client.automations.invoke.invoke_ad_hoc(
            automation={"steps": steps},
            recipient=user,
            profile={"email": address},
            template=template_id,
        ).run_id
        for _ in range(5)
    ]

    def statuses() -> list[str] | None:
        found = [api.get(f"/automations/runs/{run_id}")["status"] for run_id in runs]
        return found if all(s in ("PROCESSED", "THROTTLED") for s in found) else None

    ended = eventually(statuses, what="every run through its throttle")
    assert sorted(ended) == ["PROCESSED", "PROCESSED", "THROTTLED", "THROTTLED", "THROTTLED"]
    eventually(lambda: len(mails_to(sinks, address)) == 2, what="the two runs' mails")
    listed = {r.run_id: r.status for r in client.automations.runs.list(limit="50").runs}
    assert sorted(str(listed[r]) for r in runs) == sorted(ended)
