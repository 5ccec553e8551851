"""Bulk jobs over in-memory stores: Courier's bulk API, its bounds, a run through the
fan-out and each user's status."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from herald.events.registry import spec_for
from herald.resources import bulk
from herald.resources.bulk import MAX_USERS_PER_CALL, USERS_PER_PAGE
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call, make_api
from tests.unit.test_openapi_responses import check

MESSAGE = {"content": {"title": "Hi {{name}}", "body": "b"}, "data": {"name": "there"}}


def create(api: Api, message: dict[str, Any] = MESSAGE) -> str:
    created = call(api, "POST", "/bulk", {"message": message})
    assert created.status == 201, created.body
    return str(check(created, "POST", "/bulk")["jobId"])


def users(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"profile": {"email": f"u{i}@example.com"}} for i in range(start, start + n)]


def add(api: Api, job_id: str, batch: list[dict[str, Any]]) -> int:
    return call(api, "POST", f"/bulk/{job_id}", {"users": batch}).status


def run(api: Api, pipeline: Pipeline, job_id: str) -> None:
    assert call(api, "POST", f"/bulk/{job_id}/run").status == 202
    pipeline.drain()


def job(api: Api, job_id: str) -> dict[str, Any]:
    return dict(check(call(api, "GET", f"/bulk/{job_id}"), "GET", "/bulk/{job_id}")["job"])


def test_a_job_takes_users_runs_once_and_reports_each_users_message() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    job_id = create(api)
    assert job(api, job_id)["status"] == "CREATED"
    batch: list[dict[str, Any]] = [
        {"recipient": "ada", "data": {"name": "Ada"}},
        {"profile": {"email": "bob@example.com"}, "to": {"user_id": "bob"}},
        {"profile": {"email": "cy@example.com", "plan": "gold"}},
    ]
    assert add(api, job_id, batch) == 204
    pending = check(call(api, "GET", f"/bulk/{job_id}/users"), "GET", "/bulk/{job_id}/users")
    assert [(u["status"], u["messageId"]) for u in pending["items"]] == [("PENDING", None)] * 3
    run(api, pipeline, job_id)
    assert job(api, job_id) | {"definition": None} == {
        "definition": None,
        "enqueued": 3,
        "failures": 0,
        "received": 3,
        "status": "COMPLETED",
    }
    sent = sorted((d.recipient["email"], d.rendered["subject"]) for d in pipeline.email.sent)
    assert sent == [
        ("ada@example.com", "Hi Ada"),
        ("bob@example.com", "Hi there"),
        ("cy@example.com", "Hi there"),
    ]
    listed = call(api, "GET", f"/bulk/{job_id}/users").body["items"]
    assert [u["status"] for u in listed] == ["ENQUEUED"] * 3
    for user in listed:
        assert call(api, "GET", f"/messages/{user['messageId']}").body["status"] == "SENT"
    # Run again: nothing more is sent; and a job that ran takes no more users.
    run(api, pipeline, job_id)
    assert len(pipeline.email.sent) == 3
    refused = call(api, "POST", f"/bulk/{job_id}", {"users": users(1)})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "job_id")


def test_users_are_paged_and_a_user_added_twice_gets_two_messages() -> None:
    api, pipeline = make_api()
    job_id = create(api)
    assert add(api, job_id, users(USERS_PER_PAGE + 1)) == 204
    assert add(api, job_id, users(1)) == 204  # u0 again, in a page of its own
    first = call(api, "GET", f"/bulk/{job_id}/users").body
    assert len(first["items"]) == USERS_PER_PAGE and first["paging"]["more"] is True
    second = call(api, "GET", f"/bulk/{job_id}/users", cursor=first["paging"]["cursor"]).body
    third = call(api, "GET", f"/bulk/{job_id}/users", cursor=second["paging"]["cursor"]).body
    assert (len(second["items"]), len(third["items"]), third["paging"]["more"]) == (1, 1, False)
    run(api, pipeline, job_id)
    assert job(api, job_id)["received"] == USERS_PER_PAGE + 2
    assert job(api, job_id)["enqueued"] == USERS_PER_PAGE + 2
    assert len(pipeline.email.sent) == USERS_PER_PAGE + 2


def test_a_large_message_expands_a_page_in_parts_and_statuses_follow() -> None:
    api, pipeline = make_api()
    pipeline.render.fanouts.chunk = 40  # as a message too large for a hundred a commit
    job_id = create(api)
    add(api, job_id, users(USERS_PER_PAGE))
    call(api, "POST", f"/bulk/{job_id}/run")
    checked = False
    # One event at a time: after the first step, 40 users are enqueued and 60 pending.
    while pipeline.relayed < len(pipeline.messages.outbox):
        event = pipeline.messages.outbox[pipeline.relayed]
        pipeline.relayed += 1
        if event.type == "message.fanned_out" and not checked:
            checked = True
            statuses = [
                u["status"] for u in call(api, "GET", f"/bulk/{job_id}/users").body["items"]
            ]
            assert statuses == ["ENQUEUED"] * 40 + ["PENDING"] * 60
        for consumer in spec_for(event.type).consumers:
            pipeline.consumers[consumer](event)
    assert checked and job(api, job_id)["status"] == "COMPLETED"
    assert len(pipeline.email.sent) == USERS_PER_PAGE


def test_bad_input_is_refused_naming_the_field_each_bound_at_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, _ = make_api()
    missing = call(api, "POST", "/bulk", {"message": {"data": {}}})
    assert (missing.status, missing.body["errors"][0]["field"]) == (400, "message.event")
    no_template = call(api, "POST", "/bulk", {"message": {"event": "nope"}})
    assert no_template.body["errors"][0]["field"] == "message.template"
    bad_content = call(api, "POST", "/bulk", {"message": {"content": {"body": "{{"}}})
    assert bad_content.body["errors"][0]["field"].startswith("message.content")
    job_id = create(api)
    assert add(api, job_id, users(MAX_USERS_PER_CALL)) == 204
    over = call(api, "POST", f"/bulk/{job_id}", {"users": users(MAX_USERS_PER_CALL + 1)})
    assert (over.status, over.body["errors"][0]["field"]) == (400, "users")
    no_address = call(api, "POST", f"/bulk/{job_id}", {"users": [{"data": {"a": 1}}]})
    assert no_address.body["errors"][0]["field"] == "users[0]"
    a_list = call(api, "POST", f"/bulk/{job_id}", {"users": [{"to": {"list_id": "l"}}]})
    assert a_list.body["errors"][0]["field"] == "users[0].to"
    bad_email = call(api, "POST", f"/bulk/{job_id}", {"users": [{"profile": {"email": "x"}}]})
    assert bad_email.body["errors"][0]["field"] == "users[0].email"
    big = {"profile": {"email": "a@example.com"}, "data": {"x": "y" * bulk.MAX_USER_BYTES}}
    too_big = call(api, "POST", f"/bulk/{job_id}", {"users": [big]})
    assert too_big.body["errors"][0]["field"] == "users[0]"
    monkeypatch.setattr(bulk, "MAX_JOB_USERS", MAX_USERS_PER_CALL + 1)
    assert add(api, job_id, users(1)) == 204
    full = call(api, "POST", f"/bulk/{job_id}", {"users": users(1)})
    assert (full.status, full.body["errors"][0]["field"]) == (400, "users")


def test_another_workspaces_job_is_a_404() -> None:
    api, _ = make_api()
    job_id = create(api)
    other = "other-key"
    assert call(api, "GET", f"/bulk/{job_id}", key=other).status == 404
    assert call(api, "GET", f"/bulk/{job_id}/users", key=other).status == 404
    assert call(api, "POST", f"/bulk/{job_id}", {"users": users(1)}, key=other).status == 404
    assert call(api, "POST", f"/bulk/{job_id}/run", key=other).status == 404
    assert call(api, "GET", f"/bulk/{job_id}").status == 200
