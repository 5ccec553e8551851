"""Courier's audit events: every API key, provider and template change recorded, newest
first, readable by id; a template's entry written in the same batch as the template."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.actors import api_actor
from herald.api.http import HttpRequest
from herald.errors import PayloadTooLarge
from herald.resources.audit_events import AuditLog
from herald.resources.keys import create_key, revoke_key
from herald.resources.provider_settings import save_provider_settings
from herald.store.base import WorkspaceSettings
from tests.unit.test_api import KEY, call, make_api

TEMPLATE = {"content": {"title": "Hi", "body": "Hello"}}


def trail(api: Any, **query: str) -> list[tuple[str, str, str, str]]:
    page = call(api, "GET", "/audit-events", **query).body
    return [(e["type"], e["target"], e["actor"]["id"], e["source"]) for e in page["results"]]


def test_template_changes_are_recorded_newest_first_with_the_key_that_made_them() -> None:
    api, _ = make_api()
    actor = api_actor(HttpRequest("GET", "/", {"Authorization": f"Bearer {KEY}"}))
    assert KEY not in actor and actor.startswith("api_key:")
    call(api, "PUT", "/templates/welcome", TEMPLATE)
    call(api, "PUT", "/templates/welcome", TEMPLATE)
    call(api, "DELETE", "/templates/welcome")
    assert trail(api) == [
        ("template.deleted", "template:welcome", actor, "api"),
        ("template.updated", "template:welcome", actor, "api"),
        ("template.created", "template:welcome", actor, "api"),
    ]
    # Another workspace's trail is its own.
    assert call(api, "GET", "/audit-events", key="other-key").body["results"] == []


def test_an_audit_event_reads_back_by_id_in_courier_s_shape() -> None:
    api, _ = make_api()
    call(api, "PUT", "/templates/welcome", TEMPLATE)
    [listed] = call(api, "GET", "/audit-events").body["results"]
    got = call(api, "GET", f"/audit-events/{listed['auditEventId']}")
    assert (got.status, got.body) == (200, listed)
    assert set(listed) == {"auditEventId", "type", "target", "actor", "source", "timestamp"}
    assert listed["timestamp"].endswith("Z")
    assert call(api, "GET", "/audit-events/nothing").status == 404
    other = call(api, "GET", f"/audit-events/{listed['auditEventId']}", key="other-key")
    assert other.status == 404


def test_refused_changes_record_nothing() -> None:
    api, _ = make_api()
    assert call(api, "PUT", "/templates/bad", {"content": {"body": "{{#if}}"}}).status == 400
    assert call(api, "DELETE", "/templates/none").status == 404
    assert trail(api) == []


def test_a_template_and_its_entry_are_written_together_or_not_at_all() -> None:
    api, pipeline = make_api()
    documents = pipeline.documents
    failing_batch = documents.write_all

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise PayloadTooLarge.of("template", "too large")

    documents.write_all = refuse  # type: ignore[method-assign]
    assert call(api, "PUT", "/templates/welcome", TEMPLATE).status == 413
    documents.write_all = failing_batch  # type: ignore[method-assign]
    assert call(api, "GET", "/templates/welcome").status == 404
    assert trail(api) == []


def test_key_and_provider_changes_an_operator_makes_are_recorded() -> None:
    api, pipeline = make_api()
    audit = AuditLog(pipeline.documents)
    _, record = create_key(pipeline.keys, audit, "ws1")
    revoke_key(pipeline.keys, audit, record.key_id)
    settings = WorkspaceSettings(providers={"email": ["smtp"]})
    save_provider_settings(pipeline.workspaces, audit, "ws1", settings)
    assert pipeline.workspaces.settings("ws1").providers == {"email": ["smtp"]}
    assert trail(api) == [
        ("providers.updated", "providers", "operator", "cli"),
        ("api_key.revoked", f"api_key:{record.key_id}", "operator", "cli"),
        ("api_key.created", f"api_key:{record.key_id}", "operator", "cli"),
    ]
    assert revoke_key(pipeline.keys, audit, "000000000000") is None
    assert len(trail(api)) == 3


@pytest.mark.parametrize("entries", [101])
def test_the_trail_is_paged(entries: int) -> None:
    api, pipeline = make_api()
    audit = AuditLog(pipeline.documents)
    for _ in range(entries):
        audit.record("ws1", "providers.updated", "providers", "operator", "cli")
    first = call(api, "GET", "/audit-events").body
    assert (len(first["results"]), first["paging"]["more"]) == (100, True)
    rest = call(api, "GET", "/audit-events", cursor=first["paging"]["cursor"]).body
    assert (len(rest["results"]), rest["paging"]["more"]) == (1, False)
