"""Courier's routing strategies, driven by Courier's SDK in process: stored per workspace,
checked as a send's routing is, and followed by the sends of the templates that name them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import courier
import httpx
import pytest
from courier import Courier
from courier.types.shared_params.message_routing import MessageRouting

from herald.api.http import Api
from tests.unit.fakes import Pipeline
from tests.unit.test_api import KEY, call, make_api
from tests.unit.test_courier_sdk_models import transport
from tests.unit.test_send_features import send

WEBHOOK_FIRST: MessageRouting = {"method": "single", "channels": ["webhook", "email"]}
EMAIL_FIRST: MessageRouting = {"method": "single", "channels": ["email", "webhook"]}
ADA = {"email": "ada@example.com", "webhook": "https://hooks.example.com/ada"}


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
        yield client, pipeline, api


def test_a_strategy_is_created_read_listed_replaced_and_archived(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, _ = herald
    created = client.routing_strategies.create(
        name="Chat first",
        description="For alerts",
        tags=["alerts"],
        routing={
            "method": "all",
            "channels": ["direct_message", {"method": "single", "channels": ["email", "sms"]}],
        },
        channels={"email": {"providers": ["sendgrid", "smtp"]}},
        providers={"sendgrid": {"timeouts": 5000}},
    )
    assert created.id.startswith("rs_")
    got = client.routing_strategies.retrieve(created.id)
    assert (got.name, got.description, got.tags) == ("Chat first", "For alerts", ["alerts"])
    assert got.routing.method == "all"
    assert got.channels["email"].providers == ["sendgrid", "smtp"]
    assert [s.id for s in client.routing_strategies.list().results] == [created.id]
    replaced = client.routing_strategies.replace(
        created.id, name="Email first", routing=EMAIL_FIRST
    )
    # A replace clears what it omits, as Courier's does.
    assert (replaced.description, replaced.tags, replaced.channels, replaced.providers) == (
        None,
        None,
        {},
        {},
    )
    assert (replaced.created, replaced.updater) == (created.created, created.creator)
    client.routing_strategies.archive(created.id)
    with pytest.raises(courier.NotFoundError):
        client.routing_strategies.retrieve(created.id)


def test_strategies_are_paged_by_limit(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, _, api = herald
    ids = {client.routing_strategies.create(name=f"s{i}", routing=EMAIL_FIRST).id for i in range(3)}
    first = client.routing_strategies.list(limit=2)
    assert first.paging.more and first.paging.cursor and len(first.results) == 2
    rest = client.routing_strategies.list(limit=2, cursor=first.paging.cursor)
    assert {s.id for s in [*first.results, *rest.results]} == ids
    for bad in ("0", "101", "x"):
        answer = call(api, "GET", "/routing-strategies", limit=bad)
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, "limit")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "routing": {"channels": ["fax"]}}, "routing.channels[0]"),
        (
            {"name": "x", "routing": {"method": "sometimes", "channels": ["email"]}},
            "routing.method",
        ),
        (
            {"name": "x", "routing": EMAIL_FIRST, "channels": {"email": {"providers": ["nope"]}}},
            "channels.email.providers[0]",
        ),
        ({"name": "x", "routing": EMAIL_FIRST, "providers": {"nope": {}}}, "providers"),
        ({"name": "", "routing": EMAIL_FIRST}, "name"),
        ({"name": "x" * 201, "routing": EMAIL_FIRST}, "name"),
        ({"routing": EMAIL_FIRST}, "name"),
        ({"name": "x", "routing": EMAIL_FIRST, "tags": ["t"] * 21}, "tags"),
    ],
)
def test_a_bad_strategy_is_a_400_naming_the_field(
    herald: tuple[Courier, Pipeline, Api], body: dict[str, Any], field: str
) -> None:
    _, _, api = herald
    answer = call(api, "POST", "/routing-strategies", body)
    assert answer.status == 400, answer.body
    assert answer.body["errors"][0]["field"] == field, answer.body


def test_another_workspace_s_strategy_is_404(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, _, api = herald
    strategy = client.routing_strategies.create(name="Mine", routing=EMAIL_FIRST)
    path = f"/routing-strategies/{strategy.id}"
    for method, where in [("GET", path), ("DELETE", path), ("GET", f"{path}/notifications")]:
        assert call(api, method, where, key="other-key").status == 404
    replace = {"name": "Theirs", "routing": EMAIL_FIRST}
    assert call(api, "PUT", path, replace, key="other-key").status == 404
    assert call(api, "GET", "/routing-strategies", key="other-key").body["results"] == []
    # Nor may another workspace's template name it.
    template = {"content": {"body": "B"}, "routing_strategy_id": strategy.id}
    answer = call(api, "PUT", "/templates/welcome", template, key="other-key")
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "routing_strategy_id")


def test_a_template_s_strategy_routes_its_sends(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, pipeline, api = herald
    strategy = client.routing_strategies.create(name="Webhook first", routing=WEBHOOK_FIRST)
    template = {"content": {"title": "Hi", "body": "B"}, "routing_strategy_id": strategy.id}
    assert call(api, "PUT", "/templates/welcome", template).status == 200
    call(api, "POST", "/profiles/ada", {"profile": ADA})
    message = {"to": {"user_id": "ada"}, "template": "welcome"}
    assert send(api, pipeline, message)["status"] == "DELIVERED"
    assert (pipeline.webhook.calls, pipeline.email.calls) == (1, 0)
    # Replaced, the strategy routes the template's next send the new way.
    client.routing_strategies.replace(strategy.id, name="Email first", routing=EMAIL_FIRST)
    assert send(api, pipeline, message)["status"] == "SENT"
    assert (pipeline.webhook.calls, pipeline.email.calls) == (1, 1)
    # A send's own routing wins over its template's strategy.
    own = {**message, "routing": {"method": "single", "channels": ["webhook"]}}
    send(api, pipeline, own)
    assert (pipeline.webhook.calls, pipeline.email.calls) == (2, 1)
    listed = client.routing_strategies.list_notifications(strategy.id).results
    assert [(t.id, t.state) for t in listed] == [("welcome", "PUBLISHED")]


def test_a_strategy_in_use_is_not_archived_and_a_template_names_one_or_routing(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    strategy = client.routing_strategies.create(name="S", routing=EMAIL_FIRST)
    both = {"content": {"body": "B"}, "routing": EMAIL_FIRST, "routing_strategy_id": strategy.id}
    assert call(api, "PUT", "/templates/t", both).status == 400
    missing = {"content": {"body": "B"}, "routing_strategy_id": "rs_missing"}
    answer = call(api, "PUT", "/templates/t", missing)
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "routing_strategy_id")
    call(api, "PUT", "/templates/t", {"content": {"body": "B"}, "routing_strategy_id": strategy.id})
    with pytest.raises(courier.ConflictError):
        client.routing_strategies.archive(strategy.id)
    call(api, "PUT", "/templates/t", {"content": {"body": "B"}})
    client.routing_strategies.archive(strategy.id)


def notification_routed_by(strategy_id: str) -> dict[str, Any]:
    """Courier's ``notification`` of a create or replace, its routing a strategy."""
    text = {"type": "text", "content": "B"}
    block = {"type": "channel", "channel": "email", "elements": [text]}
    return {
        "name": "Welcome",
        "content": {"version": "2022-01-01", "elements": [block]},
        "tags": [],
        "brand": None,
        "routing": {"strategy_id": strategy_id},
        "subscription": None,
    }


def test_a_notification_s_routing_strategy_routes_its_sends_once_published(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, pipeline, api = herald
    strategy = client.routing_strategies.create(name="Webhook first", routing=WEBHOOK_FIRST)
    created = client.notifications.create(
        notification=notification_routed_by(strategy.id),  # type: ignore[arg-type]
        state="PUBLISHED",
    )
    assert created.routing is not None and created.routing.strategy_id == strategy.id
    call(api, "POST", "/profiles/ada", {"profile": ADA})
    message = {"to": {"user_id": "ada"}, "template": created.id}
    assert send(api, pipeline, message)["status"] == "DELIVERED"
    assert (pipeline.webhook.calls, pipeline.email.calls) == (1, 0)
    listed = client.routing_strategies.list_notifications(strategy.id).results
    assert [t.id for t in listed] == [created.id]
    with pytest.raises(courier.ConflictError):
        client.routing_strategies.archive(strategy.id)


def test_a_notification_may_name_only_a_strategy_its_workspace_has(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    missing = {"notification": notification_routed_by("rs_missing")}
    answer = call(api, "POST", "/notifications", missing)
    assert (answer.status, answer.body["errors"][0]["field"]) == (
        400,
        "notification.routing.strategy_id",
    )
    assert call(api, "GET", "/notifications").body["results"] == []
    strategy = client.routing_strategies.create(name="Mine", routing=EMAIL_FIRST)
    made = call(
        api, "POST", "/notifications", {"notification": notification_routed_by(strategy.id)}
    )
    assert made.status == 201, made.body
    replaced = call(api, "PUT", f"/notifications/{made.body['id']}", missing)
    assert (replaced.status, replaced.body["errors"][0]["field"]) == (
        400,
        "notification.routing.strategy_id",
    )


def test_a_strategy_a_notification_s_draft_names_is_not_archived(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    mine = client.routing_strategies.create(name="Mine", routing=EMAIL_FIRST)
    other = client.routing_strategies.create(name="Other", routing=WEBHOOK_FIRST)
    made = call(
        api,
        "POST",
        "/notifications",
        {"notification": notification_routed_by(mine.id), "state": "PUBLISHED"},
    )
    assert made.status == 201, made.body
    draft = {"notification": notification_routed_by(other.id), "state": "DRAFT"}
    assert call(api, "PUT", f"/notifications/{made.body['id']}", draft).status == 200
    # Published, the template names the first; its draft, once published, the second.
    with pytest.raises(courier.ConflictError):
        client.routing_strategies.archive(other.id)
    assert [t.id for t in client.routing_strategies.list_notifications(other.id).results] == []
