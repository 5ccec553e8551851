"""API keys: created with a hint and an id, listed without the key, revoked to a 401."""

from herald.api.http import Api, HttpRequest
from herald.resources.audit_events import AuditLog
from herald.resources.keys import create_key
from herald.store.documents import InMemoryDocuments
from herald.store.memory import InMemoryKeys
from herald_tools.ops.keys import key_table
from tests.unit.fakes import Pipeline


def status_with(api: Api, key: str) -> int:
    return api.handle(HttpRequest("GET", "/messages", {"Authorization": f"Bearer {key}"})).status


def test_a_revoked_key_gets_401_and_the_others_still_work() -> None:
    pipeline = Pipeline()
    api, keys = pipeline.api, pipeline.keys
    audit = AuditLog(pipeline.documents)
    key, record = create_key(keys, audit, "ws1")
    other, _ = create_key(keys, audit, "ws1")
    assert status_with(api, key) == status_with(api, other) == 200
    assert keys.revoke(record.key_id) is not None
    assert (status_with(api, key), status_with(api, other)) == (401, 200)


def test_the_list_shows_ids_hints_and_times_never_the_key() -> None:
    keys, audit = InMemoryKeys(), AuditLog(InMemoryDocuments())
    key, record = create_key(keys, audit, "ws1")
    create_key(keys, audit, "ws2")
    keys.revoke(record.key_id)
    table = key_table(keys.list("ws1"))
    header, line = table.splitlines()
    assert header.split() == ["KEY", "ID", "HINT", "WORKSPACE", "MODE", "CREATED", "REVOKED"]
    key_id, hint, workspace, mode, created, revoked = line.split()
    assert (key_id, hint, workspace, mode) == (record.key_id, key[:7] + "…", "ws1", "live")
    assert created.endswith("Z") and revoked.endswith("Z")
    assert key not in table and key[7:] not in table
    assert len(key_table(keys.list()).splitlines()) == 3
