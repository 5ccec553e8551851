"""Courier's providers API, driven by Courier's SDK in process: configurations stored per
workspace, secrets never answered back, each channel's configured providers the
workspace's failover order, and the catalog of Herald's providers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from courier import Courier, NotFoundError

from herald.api.http import Api
from herald.resources import provider_configurations
from herald.resources.provider_configurations import MAX_SETTING_CHARS
from tests.unit.fakes import FakeProvider, Pipeline
from tests.unit.test_api import KEY, call
from tests.unit.test_courier_sdk_models import transport
from tests.unit.test_send_features import send

SECRET = "SG.very-secret-key"


@pytest.fixture
def herald() -> Iterator[tuple[Courier, Pipeline, Api]]:
    from herald.ids import hash_api_key

    # Two email providers, so that the failover order shows in which one sends.
    pipeline = Pipeline(extra=[FakeProvider("sendgrid", "email")])
    pipeline.email.name = "smtp"
    pipeline.restart()
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    pipeline.keys.put(hash_api_key("other-key"), "ws2")
    with Courier(
        api_key=KEY,
        base_url="http://herald.test",
        http_client=httpx.Client(transport=transport(pipeline.api)),
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client, pipeline, pipeline.api


def test_a_configuration_is_created_read_changed_and_deleted_secrets_never_answered(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    created = client.providers.create(
        provider="sendgrid", title="Main", settings={"api_key": SECRET, "from_address": "a@x.io"}
    )
    assert (created.provider, created.title, created.alias) == ("sendgrid", "Main", None)
    assert created.settings == {"api_key": "********", "from_address": "a@x.io"}
    patched = client.providers.patch(
        created.id, alias="primary", settings={"from_address": None, "api_key": "SG.rotated"}
    )
    assert (patched.alias, patched.settings) == ("primary", {"api_key": "********"})
    replaced = client.providers.update(created.id, provider="sendgrid")
    # A replace removes what it omits, as Courier's does.
    assert (replaced.title, replaced.alias, replaced.settings) == (
        "Default Configuration",
        None,
        {},
    )
    listed = client.providers.list().results
    assert [p.id for p in listed] == [created.id]
    for path in ("/providers", f"/providers/{created.id}"):
        assert SECRET not in json.dumps(call(api, "GET", path).body)
    client.providers.delete(created.id)
    with pytest.raises(NotFoundError):
        client.providers.retrieve(created.id)
    # Every change is in the audit trail, by the API key that made it.
    changes = [e for e in client.audit_events.list().results if e.type == "providers.updated"]
    assert [e.target for e in changes] == [f"provider:{created.id}"] * 4


def test_a_channel_s_configured_providers_are_its_failover_order(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, pipeline, api = herald
    sendgrid = client.providers.create(provider="sendgrid")
    client.providers.create(provider="smtp")
    assert pipeline.workspaces.settings("ws1").providers == {"email": ["sendgrid", "smtp"]}
    message = {"to": {"email": "ada@example.com"}, "content": {"title": "T", "body": "B"}}
    assert send(api, pipeline, message)["status"] == "SENT"
    assert (pipeline.extra[0].calls, pipeline.email.calls) == (1, 0)
    client.providers.delete(sendgrid.id)
    assert pipeline.workspaces.settings("ws1").providers == {"email": ["smtp"]}
    send(api, pipeline, message)
    assert (pipeline.extra[0].calls, pipeline.email.calls) == (1, 1)
    # Another workspace's settings are its own.
    assert pipeline.workspaces.settings("ws2").providers == {}


def test_another_workspace_s_configuration_is_404(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, _, api = herald
    mine = client.providers.create(provider="smtp")
    path = f"/providers/{mine.id}"
    assert call(api, "GET", path, key="other-key").status == 404
    assert call(api, "DELETE", path, key="other-key").status == 404
    assert call(api, "PUT", path, {"provider": "smtp"}, key="other-key").status == 404
    assert call(api, "PATCH", path, {"title": "x"}, key="other-key").status == 404
    assert call(api, "GET", "/providers", key="other-key").body["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "mailgun"}, "provider"),
        ({"provider": "sendgrid", "settings": {"region": "eu"}}, "settings.region"),
        ({"provider": "sendgrid", "settings": {"api_key": 7}}, "settings.api_key"),
        ({"provider": "twilio", "settings": {"rate_limit": {"rate": 1}}}, "settings.rate_limit"),
        ({"provider": "smtp", "title": "x" * 201}, "title"),
        ({"title": "no provider"}, "provider"),
    ],
)
def test_a_bad_configuration_is_a_400_naming_the_field(
    herald: tuple[Courier, Pipeline, Api], body: dict[str, Any], field: str
) -> None:
    _, _, api = herald
    answer = call(api, "POST", "/providers", body)
    assert answer.status == 400, answer.body
    assert answer.body["errors"][0]["field"] == field, answer.body


def test_a_configuration_keeps_its_provider_and_bounds_its_settings(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    smtp = client.providers.create(provider="smtp")
    path = f"/providers/{smtp.id}"
    for method in ("PUT", "PATCH"):
        answer = call(api, method, path, {"provider": "sendgrid"})
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, "provider")
    at_limit = {"settings": {"password": "p" * MAX_SETTING_CHARS}}
    assert call(api, "PATCH", path, at_limit).status == 200
    over = {"settings": {"password": "p" * (MAX_SETTING_CHARS + 1)}}
    answer = call(api, "PATCH", path, over)
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "settings.password")


def test_configurations_are_counted_at_their_limit(
    herald: tuple[Courier, Pipeline, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, api = herald
    monkeypatch.setattr(provider_configurations, "MAX_CONFIGURATIONS", 2)
    client.providers.create(provider="smtp")
    client.providers.create(provider="webhook")
    answer = call(api, "POST", "/providers", {"provider": "twilio"})
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "provider")


def test_the_catalog_lists_herald_s_providers_in_courier_s_channels(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, _ = herald
    every = {e.provider: e for e in client.providers.catalog.list().results}
    assert set(every) == {
        "smtp",
        "sendgrid",
        "twilio",
        "fcm",
        "slack",
        "msteams",
        "webhook",
        "inbox",
    }
    assert (every["slack"].channel, every["msteams"].channel, every["inbox"].channel) == (
        "direct_message",
        "direct_message",
        "inbox",
    )
    assert every["sendgrid"].settings["api_key"].type == "string"
    assert [e.provider for e in client.providers.catalog.list(channel="EMAIL").results] == [
        "smtp",
        "sendgrid",
    ]
    assert [e.provider for e in client.providers.catalog.list(keys="twilio,fcm").results] == [
        "twilio",
        "fcm",
    ]
    assert [e.provider for e in client.providers.catalog.list(name="grid").results] == ["sendgrid"]
