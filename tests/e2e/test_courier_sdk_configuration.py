"""Conformance: Courier's Python SDK drives the workspace's configuration on the local
stack: preference sections and their topics, routing strategies, provider
configurations and the catalog, and tenant templates, each followed by the sends it
shapes.

As in ``test_courier_sdk``: the client validates every answer against the SDK's own
models, with retries off. Each test has a workspace of its own, so what it configures
(its providers above all) reaches no other test.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier
from courier.types.send_message_params import Message

from herald.ids import hash_api_key
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

ENDED = frozenset({"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE", "CANCELED"})


@pytest.fixture
def client(stack: Stack) -> Iterator[Courier]:
    key = "hk_e2e_" + secrets.token_urlsafe(24)
    stack.adapters().keys.put(hash_api_key(key), f"e2e-{secrets.token_hex(6)}")
    with Courier(
        api_key=key,
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


def put_template(client: Courier, template_id: str, body: dict[str, Any]) -> None:
    client.put(f"/templates/{template_id}", body=body, cast_to=object)


def elemental(title: str, text: str) -> Any:
    return {
        "version": "2022-01-01",
        "elements": [{"type": "meta", "title": title}, {"type": "text", "content": text}],
    }


def test_a_section_s_topic_decides_a_send_through_the_sdk(client: Courier) -> None:
    section = client.workspace_preferences.create(name="Product", routing_options=["email"])
    topic = client.workspace_preferences.topics.create(
        section.id, name="Beta", default_status="OPTED_OUT", topic_data={"tier": "beta"}
    )
    got = client.workspace_preferences.retrieve(section.id)
    assert [(t.id, t.topic_data) for t in got.topics] == [(topic.id, {"tier": "beta"})]
    assert client.workspace_preferences.topics.retrieve(topic.id, section_id=section.id).name == (
        "Beta"
    )
    assert [t.id for t in client.workspace_preferences.topics.list(section.id).results] == [
        topic.id
    ]
    renamed = client.workspace_preferences.replace(section.id, name="Products")
    assert (renamed.id, renamed.name) == (section.id, "Products")
    assert [s.id for s in client.workspace_preferences.list().results] == [section.id]
    user_id = unique("user")
    client.profiles.create(user_id, profile={"email": f"{user_id}@example.com"})
    message: Message = {
        "to": {"user_id": user_id},
        "content": {"title": "Beta", "body": "news"},
        "preferences": {"subscription_topic_id": topic.id},
    }
    first = client.send.message(message=message)
    refused = eventually(lambda: ended(client, first.request_id), what="an end state")
    assert (refused.status, refused.reason) == ("UNDELIVERABLE", "OPT_IN_REQUIRED")
    client.users.preferences.update_or_create_topic(
        topic.id, user_id=user_id, topic={"status": "OPTED_IN"}
    )
    [change] = client.workspace_preferences.list_logs(user_id=user_id).items
    assert (change.topic_id, change.status, change.topic_name) == (topic.id, "OPTED_IN", "Beta")
    second = client.send.message(message=message)
    assert eventually(lambda: ended(client, second.request_id), what="an end state").status == (
        "SENT"
    )
    with pytest.raises(courier.ConflictError):
        client.workspace_preferences.archive(section.id)
    client.workspace_preferences.topics.replace(
        topic.id, section_id=section.id, name="Beta", default_status="OPTED_IN"
    )
    assert client.workspace_preferences.publish(heading="Your mail").page_id
    client.workspace_preferences.topics.archive(topic.id, section_id=section.id)
    client.workspace_preferences.archive(section.id)
    assert client.workspace_preferences.list().results == []


def test_a_template_s_routing_strategy_routes_its_send(client: Courier, sinks: Client) -> None:
    strategy = client.routing_strategies.create(
        name="SMS first", routing={"method": "single", "channels": ["sms", "email"]}
    )
    assert client.routing_strategies.retrieve(strategy.id).routing.channels == ["sms", "email"]
    template_id = unique("welcome")
    put_template(
        client,
        template_id,
        {"content": {"title": "Hi", "body": "code 42"}, "routing_strategy_id": strategy.id},
    )
    listed = client.routing_strategies.list_notifications(strategy.id).results
    assert [t.id for t in listed] == [template_id]
    phone = f"+1415555{secrets.randbelow(10_000):04d}"
    sent = client.send.message(
        message={
            "to": {"email": "sms-first@example.com", "phone_number": phone},
            "template": template_id,
        }
    )
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert message.status in ("SENT", "DELIVERED")
    assert eventually(
        lambda: [s for s in sinks.get("/sms") if s["body"]["To"] == phone], what="the text"
    )
    replaced = client.routing_strategies.replace(
        strategy.id, name="Email first", routing={"method": "single", "channels": ["email", "sms"]}
    )
    assert (replaced.name, replaced.routing.channels) == ("Email first", ["email", "sms"])
    with pytest.raises(courier.ConflictError):
        client.routing_strategies.archive(strategy.id)
    put_template(client, template_id, {"content": {"title": "Hi", "body": "code 42"}})
    client.routing_strategies.archive(strategy.id)
    assert client.routing_strategies.list().results == []


def test_configured_providers_are_the_channel_s_failover_order(
    client: Courier, sinks: Client
) -> None:
    catalog = client.providers.catalog.list(channel="email").results
    assert [e.provider for e in catalog] == ["smtp", "sendgrid"]
    configured = client.providers.create(
        provider="sendgrid", settings={"api_key": "SG.never-shown", "from_address": "a@x.io"}
    )
    assert configured.settings["api_key"] == "********"
    assert "SG.never-shown" not in str(client.providers.list().model_dump())
    address = f"{unique('configured')}@example.com"
    sent = client.send.message(
        message={"to": {"email": address}, "content": {"title": "Via", "body": "SendGrid"}}
    )
    assert eventually(lambda: ended(client, sent.request_id), what="an end state").status == (
        "SENT"
    )
    assert eventually(
        lambda: [m for m in sinks.get("/sendgrid") if address in str(m["body"])],
        what="the mail through SendGrid",
    )
    patched = client.providers.patch(configured.id, title="Main", settings={"from_address": None})
    assert (patched.title, patched.settings) == ("Main", {"api_key": "********"})
    replaced = client.providers.update(
        configured.id, provider="sendgrid", settings={"api_key": "SG.replaced"}
    )
    assert (replaced.title, replaced.settings) == ("Default Configuration", {"api_key": "********"})
    client.providers.delete(configured.id)
    with pytest.raises(courier.NotFoundError):
        client.providers.retrieve(configured.id)
    changes = [e for e in client.audit_events.list().results if e.type == "providers.updated"]
    assert len(changes) == 4


def test_a_tenant_s_published_template_is_sent_in_its_context(
    client: Courier, sinks: Client
) -> None:
    tenant_id, template_id = unique("tenant"), unique("welcome")
    client.tenants.update(tenant_id, name="Acme")
    put_template(client, template_id, {"content": {"title": "Workspace", "body": "b"}})
    saved = client.tenants.templates.replace(
        template_id,
        tenant_id=tenant_id,
        template={"content": elemental("Acme welcome", "Hello {{name}}")},
        published=True,
    )
    assert saved.version == "v1" and saved.published_at
    version = client.tenants.templates.versions.retrieve(
        "published", tenant_id=tenant_id, template_id=template_id
    )
    assert version.version == "v1"
    assert [i.id for i in client.tenants.templates.list(tenant_id).items or []] == [template_id]
    address = f"{unique('member')}@example.com"
    sent = client.send.message(
        message={
            "to": {"email": address},
            "template": template_id,
            "context": {"tenant_id": tenant_id},
            "data": {"name": "Ada"},
        }
    )
    assert eventually(lambda: ended(client, sent.request_id), what="an end state").status == (
        "SENT"
    )
    [mail] = eventually(
        lambda: [m for m in sinks.get("/mail") if address in m["to"]], what="the mail"
    )
    assert mail["subject"] == "Acme welcome"
    client.tenants.templates.delete(template_id, tenant_id=tenant_id)
    with pytest.raises(courier.NotFoundError):
        client.tenants.templates.retrieve(template_id, tenant_id=tenant_id)
