"""Conformance: Courier's Python SDK drives tenants and device tokens on the local stack.

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

ENDED = frozenset({"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE", "CANCELED"})


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


def ended(client: Courier, message_id: str) -> Any:
    message = client.messages.retrieve(message_id)
    return message if message.status in ENDED else None


def test_tenants_their_users_and_defaults_are_managed_through_the_sdk(client: Courier) -> None:
    tenant_id, user_id = unique("tenant"), unique("user")
    stored = client.tenants.update(
        tenant_id,
        name="Acme",
        properties={"plan": "gold"},
        default_preferences={"items": [{"id": "news", "status": "OPTED_OUT"}]},
    )
    assert (stored.id, stored.name, stored.properties) == (tenant_id, "Acme", {"plan": "gold"})
    got = client.tenants.retrieve(tenant_id)
    assert got.default_preferences is not None and got.default_preferences.items is not None
    assert [(i.id, i.status) for i in got.default_preferences.items] == [("news", "OPTED_OUT")]
    client.tenants.preferences.items.update("digest", tenant_id=tenant_id, status="OPTED_IN")
    client.tenants.preferences.items.delete("news", tenant_id=tenant_id)
    items = client.tenants.retrieve(tenant_id).default_preferences
    assert items is not None and [i.id for i in items.items or []] == ["digest"]
    assert tenant_id in [t.id for t in client.tenants.list(limit=100).items]

    client.users.tenants.add_single(tenant_id, user_id=user_id, profile={"role": "admin"})
    members = client.tenants.list_users(tenant_id)
    assert [(m.user_id, m.profile) for m in members.items or []] == [(user_id, {"role": "admin"})]
    mine = client.users.tenants.list(user_id)
    assert [m.tenant_id for m in mine.items or []] == [tenant_id]
    client.users.tenants.remove_single(tenant_id, user_id=user_id)
    assert client.users.tenants.list(user_id).items == []
    client.users.tenants.add_multiple(user_id, tenants=[{"tenant_id": tenant_id}])
    client.users.tenants.remove_all(user_id)
    assert client.tenants.list_users(tenant_id).items == []

    client.tenants.delete(tenant_id)
    with pytest.raises(courier.NotFoundError):
        client.tenants.retrieve(tenant_id)


def test_a_send_in_a_tenants_context_renders_its_properties(client: Courier, sinks: Client) -> None:
    tenant_id = unique("tenant")
    address = f"{unique('member')}@example.com"
    client.tenants.update(tenant_id, name="Acme", properties={"plan": "gold"})
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "Your {{tenant.plan}} plan", "body": "b"},
            "context": {"tenant_id": tenant_id},
        }
    )
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert message.status == "SENT"
    [mail] = eventually(
        lambda: [m for m in sinks.get("/mail") if address in m["to"]], what="the mail"
    )
    assert mail["subject"] == "Your gold plan"
    output = client.messages.content(sent.request_id)
    assert "Your gold plan" in str(output)
    listed = client.messages.list(tenant_id=tenant_id).results
    assert [m.id for m in listed] == [sent.request_id]


def test_device_tokens_are_managed_through_the_sdk_and_used_for_push(
    client: Courier, sinks: Client
) -> None:
    user_id, token = unique("device-user"), unique("fcm-token")
    client.users.tokens.add_single(
        token, user_id=user_id, provider_key="firebase-fcm", device={"platform": "android"}
    )
    got = client.users.tokens.retrieve(token, user_id=user_id)
    assert (got.token, got.provider_key, got.status) == (token, "firebase-fcm", "active")
    client.users.tokens.add_multiple(
        user_id, extra_body={"tokens": [{"token": "apn-" + token, "provider_key": "apn"}]}
    )
    listed = client.users.tokens.list(user_id)
    assert sorted(t.token for t in listed.tokens) == sorted([token, "apn-" + token])

    sent = client.send.message(
        message={
            "to": {"user_id": user_id},
            "content": {"title": "Ping", "body": "from a stored token"},
            "routing": {"method": "single", "channels": ["push"]},
        }
    )
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert message.status == "SENT"
    pushes = [p for p in sinks.get("/push") if token in str(p["body"])]
    assert pushes[0]["body"]["message"]["token"] == token

    client.users.tokens.update(
        token,
        user_id=user_id,
        patch=[{"op": "replace", "path": "/device/platform", "value": "ios"}],
    )
    patched = client.users.tokens.retrieve(token, user_id=user_id)
    assert patched.device is not None and patched.device.platform == "ios"

    client.users.tokens.delete(token, user_id=user_id)
    with pytest.raises(courier.NotFoundError):
        client.users.tokens.retrieve(token, user_id=user_id)
