"""Courier's tenant templates, driven by Courier's SDK in process: versions saved and
published per tenant, and the published version rendered for sends in the tenant's
context."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import courier
import httpx
import pytest
from courier import Courier

from herald.api.http import Api
from herald.resources import tenant_templates
from tests.unit.fakes import Pipeline
from tests.unit.test_api import KEY, call, make_api
from tests.unit.test_courier_sdk_models import transport
from tests.unit.test_send_features import send


def elemental(title: str, text: str) -> Any:
    return {
        "version": "2022-01-01",
        "elements": [{"type": "meta", "title": title}, {"type": "text", "content": text}],
    }


@pytest.fixture
def herald() -> Iterator[tuple[Courier, Pipeline, Api]]:
    api, pipeline = make_api()
    with Courier(
        api_key=KEY,
        base_url="http://herald.test",
        http_client=httpx.Client(transport=transport(api)),
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        client.tenants.update("acme", name="Acme")
        body = {"content": {"title": "Welcome", "body": "From the workspace"}}
        assert call(api, "PUT", "/templates/welcome", body).status == 200
        yield client, pipeline, api


def subject(api: Api, pipeline: Pipeline, message: dict[str, Any]) -> str:
    sent = send(api, pipeline, message)
    output = call(api, "GET", f"/messages/{sent['id']}/output").body["results"]
    return str(output[0]["content"]["subject"])


def test_versions_are_saved_published_and_read(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, _, _ = herald
    first = client.tenants.templates.replace(
        "welcome", tenant_id="acme", template={"content": elemental("One", "1")}
    )
    assert (first.version, first.published_at) == ("v1", None)
    assert client.tenants.templates.retrieve("welcome", tenant_id="acme").published_at == ""
    second = client.tenants.templates.replace(
        "welcome", tenant_id="acme", template={"content": elemental("Two", "2")}, published=True
    )
    assert second.version == "v2" and second.published_at
    republished = client.tenants.templates.publish("welcome", tenant_id="acme", version="v1")
    assert republished.version == "v1"
    versions = client.tenants.templates.versions
    assert versions.retrieve("published", tenant_id="acme", template_id="welcome").version == "v1"
    assert versions.retrieve("latest", tenant_id="acme", template_id="welcome").version == "v2"
    listed = client.tenants.templates.list("acme")
    assert [(i.id, i.version) for i in listed.items or []] == [("welcome", "v2")]
    assert listed.has_more is False
    with pytest.raises(courier.NotFoundError):
        versions.retrieve("v3", tenant_id="acme", template_id="welcome")


def test_a_send_in_the_tenant_s_context_renders_its_published_version(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, pipeline, api = herald
    in_acme = {
        "to": {"email": "ada@example.com"},
        "template": "welcome",
        "context": {"tenant_id": "acme"},
    }
    client.tenants.templates.replace(
        "welcome", tenant_id="acme", template={"content": elemental("Acme draft", "d")}
    )
    # A draft is not sent.
    assert subject(api, pipeline, in_acme) == "Welcome"
    client.tenants.templates.publish("welcome", tenant_id="acme")
    assert subject(api, pipeline, in_acme) == "Acme draft"
    # Outside the tenant's context, the workspace's template.
    assert subject(api, pipeline, {**in_acme, "context": None}) == "Welcome"
    client.tenants.templates.delete("welcome", tenant_id="acme")
    assert subject(api, pipeline, in_acme) == "Welcome"


def test_a_tenant_template_s_routing_applies_where_the_send_has_none(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, pipeline, api = herald
    client.tenants.templates.replace(
        "welcome",
        tenant_id="acme",
        template={
            "content": elemental("Hook", "h"),
            "routing": {"method": "single", "channels": ["webhook"]},
        },
        published=True,
    )
    to = {"email": "ada@example.com", "webhook": "https://hooks.example.com/ada"}
    send(api, pipeline, {"to": to, "template": "welcome", "context": {"tenant_id": "acme"}})
    assert (pipeline.webhook.calls, pipeline.email.calls) == (1, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"template": {"content": {"title": "T", "body": "B"}}}, "template.content"),
        ({"template": {"content": elemental("T", "{{#if}}")}}, "template.content"),
        (
            {"template": {"content": elemental("T", "x"), "channels": {"email": {}}}},
            "template.channels",
        ),
        (
            {"template": {"content": elemental("T", "x"), "providers": {"smtp": {}}}},
            "template.providers",
        ),
        (
            {"template": {"content": elemental("T", "x"), "routing": {"channels": ["sendgrid"]}}},
            "template.routing",
        ),
        ({"published": True}, "template"),
    ],
)
def test_a_bad_tenant_template_is_a_400_naming_the_field(
    herald: tuple[Courier, Pipeline, Api], body: dict[str, Any], field: str
) -> None:
    _, _, api = herald
    answer = call(api, "PUT", "/tenants/acme/templates/welcome", body)
    assert answer.status == 400, answer.body
    assert answer.body["errors"][0]["field"].startswith(field), answer.body


def test_a_tenant_template_needs_its_tenant_and_workspace_template_and_stays_in_its_workspace(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    _, _, api = herald
    body = {"template": {"content": elemental("T", "x")}}
    assert call(api, "PUT", "/tenants/nobody/templates/welcome", body).status == 404
    assert call(api, "PUT", "/tenants/acme/templates/missing", body).status == 404
    assert call(api, "PUT", "/tenants/acme/templates/welcome", body).status == 200
    path = "/tenants/acme/templates/welcome"
    for method, where in [
        ("GET", path),
        ("DELETE", path),
        ("POST", f"{path}/publish"),
        ("GET", f"{path}/versions/latest"),
        ("GET", "/tenants/acme/templates"),
    ]:
        assert call(api, method, where, key="other-key").status == 404, (method, where)


def test_only_the_newest_versions_and_the_published_one_are_kept(
    herald: tuple[Courier, Pipeline, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, _ = herald
    monkeypatch.setattr(tenant_templates, "KEPT_VERSIONS", 2)
    save = client.tenants.templates.replace
    save("welcome", tenant_id="acme", template={"content": elemental("1", "1")}, published=True)
    for n in (2, 3, 4):
        save("welcome", tenant_id="acme", template={"content": elemental(str(n), "x")})
    versions = client.tenants.templates.versions
    kept = [
        v
        for v in ("v1", "v2", "v3", "v4")
        if _exists(lambda v=v: versions.retrieve(v, tenant_id="acme", template_id="welcome"))
    ]
    assert kept == ["v1", "v3", "v4"]


def _exists(read: Any) -> bool:
    try:
        read()
    except courier.NotFoundError:
        return False
    return True
