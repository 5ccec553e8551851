"""Real answers of the in-memory API validate against the OpenAPI document's schemas.

Each call goes through the router as a client's would; its status must be one
the operation documents, and its body must match that answer's schema (or be
absent when the answer has none).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from herald.api.http import Api, HttpResponse
from herald.api.routes import current_document
from tests.unit.test_api import call, make_api

JSON = "application/json"


def check(response: HttpResponse, method: str, template: str) -> Any:
    """Fails when ``response`` is not what the document says ``method template`` answers."""
    document = current_document()
    operation = document["paths"][template][method.lower()]
    documented = operation["responses"].get(str(response.status))
    assert documented is not None, (
        f"{method} {template} answered {response.status}, which it does not document: "
        f"{response.body}"
    )
    if "content" not in documented:
        assert response.body is None, (method, template, response.body)
        return None
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        **documented["content"][JSON]["schema"],
    }
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(response.body), key=lambda e: e.path
    )
    assert not errors, f"{method} {template} {response.status}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
    )
    return response.body


def checked(api: Api, method: str, path: str, template: str, body: Any = None, **query: str) -> Any:
    return check(call(api, method, path, body, **query), method, template)


@pytest.fixture
def api() -> Api:
    made, _ = make_api()
    return made


def test_send_and_the_messages_api_answer_as_documented() -> None:
    api, pipeline = make_api()
    sent = checked(
        api,
        "POST",
        "/send",
        "/send",
        {
            "message": {
                "to": {"email": "ada@example.com"},
                "content": {"title": "Hi {{name}}", "body": "Code {{code}}"},
                "data": {"name": "Ada", "code": "42"},
                "metadata": {"tags": ["otp"]},
            }
        },
    )
    message_id = sent["requestId"]
    pipeline.drain()
    message = checked(api, "GET", f"/messages/{message_id}", "/messages/{message_id}")
    assert message["status"] == "SENT"
    history = checked(
        api, "GET", f"/messages/{message_id}/history", "/messages/{message_id}/history"
    )
    assert history["results"]
    output = checked(api, "GET", f"/messages/{message_id}/output", "/messages/{message_id}/output")
    assert output["results"][0]["content"]["subject"] == "Hi Ada"
    listed = checked(api, "GET", "/messages", "/messages", tag="otp")
    assert [m["id"] for m in listed["results"]] == [message_id]
    checked(api, "GET", f"/requests/{message_id}", "/requests/{request_id}")
    too_late = checked(
        api, "POST", f"/messages/{message_id}/cancel", "/messages/{message_id}/cancel"
    )
    assert too_late["status"] == "SENT"


def test_errors_answer_as_documented(api: Api) -> None:
    invalid = checked(api, "POST", "/send", "/send", {"message": {"to": {"email": "x"}}})
    assert invalid["errors"]
    checked(api, "GET", "/messages/nope", "/messages/{message_id}")
    unauthenticated = call(api, "GET", "/brands", key=None)
    assert unauthenticated.status == 401
    check(unauthenticated, "GET", "/brands")
    checked(api, "GET", "/messages", "/messages", limit="0")
    huge = {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x" * 300_000}}}
    assert checked(api, "POST", "/send", "/send", huge)["type"]


def test_profiles_and_lists_answer_as_documented(api: Api) -> None:
    profile = {"profile": {"email": "ada@example.com"}}
    checked(api, "POST", "/profiles/ada", "/profiles/{user_id}", profile)
    checked(api, "PUT", "/profiles/ada", "/profiles/{user_id}", profile)
    assert (
        checked(api, "GET", "/profiles/ada", "/profiles/{user_id}")["profile"] == profile["profile"]
    )
    checked(api, "PUT", "/lists/news.weekly", "/lists/{list_id}", {"name": "Weekly"})
    checked(
        api,
        "POST",
        "/lists/news.weekly/subscriptions",
        "/lists/{list_id}/subscriptions",
        {"recipients": [{"recipientId": "ada"}, {"recipientId": "bob"}]},
    )
    checked(
        api,
        "PUT",
        "/lists/news.weekly/subscriptions/cy",
        "/lists/{list_id}/subscriptions/{user_id}",
        {"preferences": {"notifications": {}}},
    )
    subscribers = checked(
        api, "GET", "/lists/news.weekly/subscriptions", "/lists/{list_id}/subscriptions"
    )
    assert [s["recipientId"] for s in subscribers["items"]] == ["ada", "bob", "cy"]
    checked(api, "GET", "/lists/news.weekly", "/lists/{list_id}")
    assert checked(api, "GET", "/lists", "/lists", pattern="news.*")["items"]
    checked(api, "DELETE", "/lists/news.weekly", "/lists/{list_id}")
    checked(api, "PUT", "/lists/news.weekly/restore", "/lists/{list_id}/restore")
    checked(api, "DELETE", "/profiles/ada", "/profiles/{user_id}")


def test_preferences_and_topics_answer_as_documented(api: Api) -> None:
    topic = {"topic_name": "Billing", "default_status": "OPTED_OUT", "allowed_channels": ["email"]}
    checked(api, "PUT", "/preferences/topics/billing", "/preferences/topics/{topic_id}", topic)
    checked(api, "GET", "/preferences/topics/billing", "/preferences/topics/{topic_id}")
    checked(api, "GET", "/preferences/topics", "/preferences/topics")
    choice = {
        "topic": {"status": "OPTED_IN", "has_custom_routing": True, "custom_routing": ["email"]}
    }
    checked(
        api,
        "PUT",
        "/users/ada/preferences/billing",
        "/users/{user_id}/preferences/{topic_id}",
        choice,
    )
    one = checked(
        api, "GET", "/users/ada/preferences/billing", "/users/{user_id}/preferences/{topic_id}"
    )
    assert (one["topic"]["status"], one["topic"]["custom_routing"]) == ("OPTED_IN", ["email"])
    every = checked(api, "GET", "/users/ada/preferences", "/users/{user_id}/preferences")
    assert [t["topic_id"] for t in every["items"]] == ["billing"]


def test_templates_and_brands_answer_as_documented(api: Api) -> None:
    template = {
        "name": "Welcome",
        "content": {"version": "2022-01-01", "elements": [{"type": "text", "content": "Hi"}]},
        "channels": {"sms": {"body": "Hi {{name}}"}},
        "routing": {"method": "single", "channels": ["email", "sms"]},
        "brand_id": "acme",
    }
    checked(api, "PUT", "/templates/welcome", "/templates/{template_id}", template)
    checked(api, "GET", "/templates/welcome", "/templates/{template_id}")
    checked(api, "GET", "/templates", "/templates")
    brand = {
        "id": "acme",
        "name": "Acme",
        "settings": {
            "colors": {"primary": "#ff5500"},
            "email": {"header": {"logo": {"image": "https://acme.example/logo.png"}}},
        },
    }
    checked(api, "POST", "/brands", "/brands", brand)
    checked(api, "PUT", "/brands/acme", "/brands/{brand_id}", {"name": "Acme 2"})
    checked(api, "GET", "/brands/acme", "/brands/{brand_id}")
    assert [b["id"] for b in checked(api, "GET", "/brands", "/brands")["results"]] == ["acme"]
    checked(api, "DELETE", "/brands/acme", "/brands/{brand_id}")
    checked(api, "DELETE", "/templates/welcome", "/templates/{template_id}")


def test_the_check_itself_fails_on_an_undocumented_shape() -> None:
    wrong = HttpResponse(200, {"profile": {}, "preferences": None, "extra": 1})
    with pytest.raises(AssertionError, match="extra"):
        check(wrong, "GET", "/profiles/{user_id}")
    with pytest.raises(AssertionError, match="does not document"):
        check(HttpResponse(418, {}), "GET", "/profiles/{user_id}")


def test_customer_webhooks_answer_as_documented() -> None:
    api, pipeline = make_api()
    endpoints, endpoint = "/webhooks/endpoints", "/webhooks/endpoints/{endpoint_id}"
    registered = checked(
        api, "POST", endpoints, endpoints, {"url": "https://hooks.example.com/herald"}
    )
    path = f"{endpoints}/{registered['id']}"
    checked(api, "GET", endpoints, endpoints)
    checked(api, "GET", path, endpoint)
    checked(api, "PUT", path, endpoint, {"description": "ops"})
    checked(api, "POST", f"{path}/rotate-secret", f"{endpoint}/rotate-secret")
    call(
        api,
        "POST",
        "/send",
        {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}},
    )
    pipeline.drain()
    deliveries = checked(api, "GET", f"{path}/deliveries", f"{endpoint}/deliveries")
    assert deliveries["results"]
    one = deliveries["results"][0]["id"]
    checked(api, "GET", f"{path}/deliveries/{one}", f"{endpoint}/deliveries/{{delivery_id}}")
    checked(api, "DELETE", path, endpoint)
