"""Courier's bulk preference calls: ``PUT /users/{user_id}/preferences`` replaces all of a
user's choices (all or none), ``POST`` sets several, each on its own."""

from __future__ import annotations

from typing import Any

from herald.api.http import Api
from herald.resources.preferences import MAX_BULK_TOPICS
from tests.unit.test_api import call, make_api


def choices(api: Api, user_id: str) -> dict[str, str]:
    items = call(api, "GET", f"/users/{user_id}/preferences").body["items"]
    return {item["topic_id"]: item["status"] for item in items}


def topic(topic_id: str, status: str, **more: Any) -> dict[str, Any]:
    return {"topic_id": topic_id, "status": status, **more}


def workspace_with_topics() -> Api:
    api, _ = make_api()
    call(api, "PUT", "/preferences/topics/news", {"topic_name": "News"})
    call(api, "PUT", "/preferences/topics/offers", {"topic_name": "Offers"})
    call(api, "PUT", "/preferences/topics/security", {"default_status": "REQUIRED"})
    return api


def test_a_replace_makes_the_given_topics_the_user_s_only_choices() -> None:
    api = workspace_with_topics()
    call(api, "PUT", "/users/ada/preferences/news", {"topic": {"status": "OPTED_OUT"}})
    call(api, "PUT", "/users/ada/preferences/offers", {"topic": {"status": "OPTED_OUT"}})
    body = {
        "topics": [topic("offers", "OPTED_IN", has_custom_routing=True, custom_routing=["sms"])]
    }
    answer = call(api, "PUT", "/users/ada/preferences", body)
    assert answer.status == 200, answer.body
    assert answer.body == {
        "deleted": ["news"],
        "items": [
            {
                "topic_id": "offers",
                "status": "OPTED_IN",
                "has_custom_routing": True,
                "custom_routing": ["sms"],
            }
        ],
    }
    # news is back to its default; offers is the user's choice.
    assert choices(api, "ada") == {"news": "OPTED_IN", "offers": "OPTED_IN", "security": "REQUIRED"}
    assert call(api, "GET", "/users/ada/preferences/news").body["topic"]["status"] == "OPTED_IN"
    # An empty set forgets every choice.
    emptied = call(api, "PUT", "/users/ada/preferences", {"topics": []})
    assert emptied.body == {"deleted": ["offers"], "items": []}


def test_a_replace_that_cannot_be_applied_whole_changes_nothing() -> None:
    api = workspace_with_topics()
    call(api, "PUT", "/users/ada/preferences/news", {"topic": {"status": "OPTED_OUT"}})
    body = {"topics": [topic("offers", "OPTED_OUT"), topic("security", "OPTED_OUT")]}
    answer = call(api, "PUT", "/users/ada/preferences", body)
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "topics[1].status")
    assert choices(api, "ada")["news"] == "OPTED_OUT"
    assert choices(api, "ada")["offers"] == "OPTED_IN"


def test_an_update_applies_each_topic_on_its_own_and_keeps_the_others() -> None:
    api = workspace_with_topics()
    call(api, "PUT", "/users/ada/preferences/news", {"topic": {"status": "OPTED_OUT"}})
    body = {"topics": [topic("offers", "OPTED_OUT"), topic("security", "OPTED_OUT")]}
    answer = call(api, "POST", "/users/ada/preferences", body)
    assert answer.status == 200, answer.body
    assert answer.body["items"] == [
        {
            "topic_id": "offers",
            "status": "OPTED_OUT",
            "has_custom_routing": False,
            "custom_routing": [],
        }
    ]
    assert [(e["topic_id"], "REQUIRED" in e["reason"]) for e in answer.body["errors"]] == [
        ("security", True)
    ]
    assert choices(api, "ada") == {
        "news": "OPTED_OUT",
        "offers": "OPTED_OUT",
        "security": "REQUIRED",
    }


def test_bulk_calls_are_bounded_and_name_what_is_wrong() -> None:
    api, _ = make_api()
    at_limit = {"topics": [topic(f"t{i}", "OPTED_IN") for i in range(MAX_BULK_TOPICS)]}
    assert call(api, "POST", "/users/ada/preferences", at_limit).status == 200
    assert call(api, "PUT", "/users/ada/preferences", at_limit).status == 200
    over = {"topics": [topic(f"t{i}", "OPTED_IN") for i in range(MAX_BULK_TOPICS + 1)]}
    for method, body, field in (
        ("POST", over, "topics"),
        ("PUT", over, "topics"),
        ("POST", {"topics": []}, "topics"),
        (
            "POST",
            {"topics": [topic("a", "OPTED_IN"), topic("a", "OPTED_OUT")]},
            "topics[1].topic_id",
        ),
        ("PUT", {"topics": [topic("a/b", "OPTED_IN")]}, "topics[0].topic_id"),
        ("PUT", {"topics": [topic("a", "MAYBE")]}, "topics[0].status"),
        ("PUT", {"topics": [{"status": "OPTED_IN"}]}, "topics[0].topic_id"),
    ):
        answer = call(api, method, "/users/ada/preferences", body)
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, field), body


def test_a_tenant_context_is_refused_rather_than_ignored() -> None:
    api, _ = make_api()
    body = {"topics": [topic("news", "OPTED_IN")]}
    for method in ("PUT", "POST"):
        answer = call(api, method, "/users/ada/preferences", body, tenant_id="acme")
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, "tenant_id")
    assert call(api, "GET", "/users/ada/preferences/news").status == 404
