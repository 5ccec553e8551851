"""Herald's answers parse into Courier's SDK models, validated strictly, over in-memory services.

A fast guard of the shapes: the SDK talks to the in-process API through an httpx
transport, so a view that drifts from Courier's models fails here before the
end-to-end suite (tests/e2e/test_courier_sdk.py) runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from courier import Courier

from herald.api.http import Api, HttpRequest
from tests.unit.fakes import Pipeline
from tests.unit.test_api import KEY, make_api


def transport(api: Api) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        answer = api.handle(
            HttpRequest(
                request.method,
                request.url.path,
                dict(request.headers),
                request.content,
                dict(params),
                {name: params.get_list(name) for name in params},
            )
        )
        if answer.body is None:
            return httpx.Response(answer.status, headers=answer.headers)
        return httpx.Response(answer.status, json=answer.body, headers=answer.headers)

    return httpx.MockTransport(handle)


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


def test_messages_parse_as_courier_s(herald: tuple[Courier, Pipeline, Api]) -> None:
    client, pipeline, api = herald
    api.handle(
        HttpRequest(
            "PUT",
            "/templates/welcome",
            {"authorization": f"Bearer {KEY}"},
            json.dumps({"content": {"title": "Hi", "body": "B"}}).encode(),
        )
    )
    inline = client.send.message(
        message={"to": {"email": "a@example.com"}, "content": {"title": "T", "body": "B"}}
    )
    templated = client.send.message(
        message={"to": {"email": "b@example.com"}, "template": "welcome"}
    )
    pipeline.drain()
    message = client.messages.retrieve(inline.request_id)
    assert (message.status, message.notification, message.event) == ("SENT", "", "")
    by_template = client.messages.retrieve(templated.request_id)
    assert (by_template.notification, by_template.event) == ("welcome", "welcome")
    assert {m.id for m in client.messages.list().results} == {
        inline.request_id,
        templated.request_id,
    }
    assert client.messages.content(inline.request_id).results[0].content.subject == "T"
    assert client.messages.history(inline.request_id).results[-1]["type"] == "SENT"


def test_profiles_lists_preferences_and_brands_parse_as_courier_s(
    herald: tuple[Courier, Pipeline, Api],
) -> None:
    client, _, api = herald
    assert client.profiles.create("ada", profile={"email": "a@example.com"}).status == "SUCCESS"
    assert client.profiles.retrieve("ada").profile == {"email": "a@example.com"}
    client.lists.update("news", name="News")
    client.lists.subscriptions.add("news", recipients=[{"recipient_id": "ada"}])
    assert client.lists.retrieve("news").created is not None
    assert [s.recipient_id for s in client.lists.subscriptions.list("news").items] == ["ada"]
    assert [found.id for found in client.lists.list().items] == ["news"]
    api.handle(
        HttpRequest(
            "PUT",
            "/preferences/topics/billing",
            {"authorization": f"Bearer {KEY}"},
            json.dumps({"topic_name": "Billing"}).encode(),
        )
    )
    client.users.preferences.update_or_create_topic(
        "billing",
        user_id="ada",
        topic={"status": "OPTED_IN", "has_custom_routing": True, "custom_routing": ["email"]},
    )
    topic = client.users.preferences.retrieve_topic("billing", user_id="ada").topic
    assert (topic.status, topic.custom_routing) == ("OPTED_IN", ["email"])
    assert [t.topic_id for t in client.users.preferences.retrieve("ada").items] == ["billing"]
    brand = client.brands.create(name="Acme", settings={"colors": {"primary": "#ff5500"}})
    assert client.brands.retrieve(brand.id).name == "Acme"
    assert [b.id for b in client.brands.list().results] == [brand.id]
