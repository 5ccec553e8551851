"""The preferences client of Courier's browser client on ``/client/q``: each operation as
courier-js 3.4.0 sends it (recorded in ``data/courier_js/operations-3.4.0.json``), over
Herald's preferences store, for the token's own user only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from herald.api.http import Api, HttpRequest, HttpResponse
from tests.unit.test_api import call
from tests.unit.test_inbox import CLIENT, issue, make_api

SCOPE = "user_id:ada read:preferences write:preferences"
DIGEST = {
    "schedules": [
        {"schedule_id": "morning", "frequency": "daily", "time": "09:00", "is_default": True},
        {"schedule_id": "every-15", "frequency": "minutes", "interval_minutes": 15},
        {"schedule_id": "retired", "frequency": "hourly", "disabled": True},
    ]
}


def sent(method: str) -> str:
    [request] = [r for r in CLIENT["requests"] if r["method"] == method]
    assert request["url"] == "https://rest.test/client/q"
    return str(request["query"])


def client_q(api: Api, token: str, query: str, user: str = "ada") -> HttpResponse:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "x-courier-user-id": user,
        "x-courier-client-key": "empty",
    }
    return api.handle(
        HttpRequest("POST", "/client/q", headers, json.dumps({"query": query}).encode())
    )


def as_client(api: Api, token: str, method: str, topic: str = "", user: str = "ada") -> Any:
    query = sent(method).replace('"TOPIC"', json.dumps(topic)).replace('"BRAND"', '"acme"')
    answer = client_q(api, token, query, user)
    assert answer.status == 200, answer.body
    return answer.body


def workspace() -> tuple[Api, str, str]:
    """A workspace with a published page: one section of two topics, one with a digest."""
    api, _ = make_api()
    brand = {"id": "acme", "name": "Acme", "settings": {"colors": {"primary": "#112233"}}}
    assert call(api, "POST", "/brands", brand).status in (200, 201)
    section = call(
        api,
        "POST",
        "/preferences/sections",
        {"name": "Orders", "has_custom_routing": True, "routing_options": ["email", "push"]},
    ).body
    topics = [
        call(
            api,
            "POST",
            f"/preferences/sections/{section['id']}/topics",
            {"name": name, "default_status": status, "topic_data": {"rank": n}},
        ).body["id"]
        for n, (name, status) in enumerate([("Shipping", "OPTED_IN"), ("Receipts", "REQUIRED")])
    ]
    shipping, receipts = topics
    put = {"topic_name": "Shipping", "default_status": "OPTED_IN", "digest": DIGEST}
    assert call(api, "PUT", f"/preferences/topics/{shipping}", put).status == 200
    assert call(api, "POST", "/preferences/publish", {"brand_id": "acme"}).status == 200
    return api, shipping, receipts


def test_the_users_preferences_list_every_topic_with_its_section_and_default() -> None:
    api, shipping, receipts = workspace()
    nodes = as_client(api, issue(api, SCOPE), "getUserPreferences")["data"]["recipientPreferences"][
        "nodes"
    ]
    by_id = {node["templateId"]: node for node in nodes}
    assert by_id[shipping] == {
        "templateId": shipping,
        "templateName": "Shipping",
        "sectionId": by_id[shipping]["sectionId"],
        "sectionName": "Orders",
        "defaultStatus": "OPTED_IN",
        "status": "OPTED_IN",
        "hasCustomRouting": False,
        "routingPreferences": [],
        "digestSchedule": None,
    }
    assert by_id[receipts]["status"] == "REQUIRED"


def test_an_update_as_the_client_sends_it_is_stored_and_answered() -> None:
    api, shipping, _ = workspace()
    token = issue(api, SCOPE)
    updated = as_client(api, token, "putUserPreferenceTopic", shipping)["data"][
        "updatePreferenceV2"
    ]
    assert (updated["status"], updated["hasCustomRouting"], updated["routingPreferences"]) == (
        "OPTED_OUT",
        True,
        ["email", "push"],
    )
    # The same store the REST API reads: the send pipeline honours it.
    rest = call(api, "GET", f"/users/ada/preferences/{shipping}").body["topic"]
    assert (rest["status"], rest["custom_routing"]) == ("OPTED_OUT", ["email", "push"])
    read = as_client(api, token, "getUserPreferenceTopic", shipping)["data"]["recipientPreference"]
    assert read == updated
    # Back to the default routing.
    reset = as_client(api, token, "putUserPreferenceTopicDefaultRouting", shipping)["data"]
    assert reset["updatePreferenceV2"]["hasCustomRouting"] is False


def test_a_digest_schedule_is_chosen_among_the_topics_active_ones() -> None:
    api, shipping, receipts = workspace()
    token = issue(api, SCOPE)
    options = as_client(api, token, "getDigestSchedules", shipping)["data"]
    assert options["digestSchedulesForTopic"] == [
        {
            "scheduleId": "morning",
            "period": "daily",
            "recurrence": None,
            "repeat": None,
            "repetition": None,
            "start": "09:00",
            "default": True,
        },
        {
            "scheduleId": "every-15",
            "period": "minutes",
            "recurrence": None,
            "repeat": None,
            "repetition": "15",
            "start": None,
            "default": False,
        },
    ]
    query = sent("putUserPreferenceTopicWithSchedule").replace('"TOPIC"', json.dumps(shipping))
    chosen = client_q(api, token, query.replace('"SCHEDULE"', '"every-15"')).body["data"]
    assert chosen["updatePreferenceV2"]["digestSchedule"] == "every-15"
    refused = client_q(api, token, query.replace('"SCHEDULE"', '"retired"')).body
    assert refused["data"] == {"updatePreferenceV2": None}
    assert refused["errors"][0]["message"].startswith("preferences.digestSchedule: ")
    # A REQUIRED topic cannot be opted out of.
    required = as_client(api, token, "putUserPreferenceTopic", receipts)
    assert required["errors"][0]["message"] == (
        f"preferences.status: topic {receipts} is REQUIRED: it cannot be opted out of"
    )


def test_the_published_page_shows_sections_topics_schedules_and_its_brand() -> None:
    api, shipping, receipts = workspace()
    token = issue(api, SCOPE)
    data = as_client(api, token, "getPreferencePage")["data"]
    page = data["preferencePage"]
    assert page["brand"]["settings"] == {"colors": {"primary": "#112233"}}
    assert page["channelConfigs"] is None and page["showCourierFooter"] is False
    [section] = page["sections"]["nodes"]
    assert (section["name"], section["routingOptions"], section["hasCustomRouting"]) == (
        "Orders",
        ["email", "push"],
        True,
    )
    topics = section["topics"]["nodes"]
    assert [t["templateId"] for t in topics] == [shipping, receipts]
    assert topics[0]["data"] == {"rank": 0}
    assert [s["scheduleId"] for s in topics[0]["digestSchedules"]] == ["morning", "every-15"]
    assert topics[1]["digestSchedules"] is None
    assert {n["templateId"] for n in data["recipientPreferences"]["nodes"]} == {shipping, receipts}
    # Another brand than the page's needs the token's read:brands.
    assert client_q(api, token, sent("getPreferencePageWithBrand")).status == 403
    branded = issue(api, SCOPE + " read:brands:acme")
    shown = as_client(api, branded, "getPreferencePageWithBrand")["data"]["preferencePage"]
    assert shown["brand"]["settings"]["colors"]["primary"] == "#112233"


def test_without_a_published_page_the_client_is_told_there_is_none() -> None:
    api, _ = make_api()
    data = as_client(api, issue(api, SCOPE), "getPreferencePage")["data"]
    assert data["preferencePage"] is None


def test_each_operation_needs_its_scope_and_covers_the_tokens_user_only() -> None:
    api, shipping, _ = workspace()
    reader = issue(api, "user_id:ada read:preferences")
    assert client_q(api, reader, sent("getUserPreferences")).status == 200
    refused = client_q(api, reader, sent("putUserPreferenceTopic").replace("TOPIC", shipping))
    assert refused.status == 403 and "write:preferences" in refused.body["message"]
    inbox_only = issue(api, "user_id:ada inbox:read:messages")
    assert client_q(api, inbox_only, sent("getUserPreferences")).status == 403
    # A token for ada cannot read or change bob's preferences.
    token = issue(api, SCOPE)
    assert client_q(api, token, sent("getUserPreferences"), user="bob").status == 403
    bob = issue(api, "user_id:bob read:preferences write:preferences")
    as_client(api, bob, "putUserPreferenceTopic", shipping, user="bob")
    mine = as_client(api, token, "getUserPreferenceTopic", shipping)["data"]["recipientPreference"]
    assert mine["status"] == "OPTED_IN"


def test_another_workspaces_token_sees_none_of_its_topics() -> None:
    api, shipping, _ = workspace()
    other = issue(api, SCOPE, key="other-key")
    nodes = as_client(api, other, "getUserPreferences")["data"]["recipientPreferences"]["nodes"]
    assert nodes == []
    answer = as_client(api, other, "putUserPreferenceTopic", shipping)
    assert answer["errors"][0]["message"] == f"templateId: no topic {shipping} in this workspace"


@pytest.mark.parametrize(
    ("method", "field"),
    [
        ("getTenantUserPreferences", "accountId"),
        ("getTenantUserPreferenceTopic", "accountId"),
        ("putTenantUserPreferenceTopic", "accountId"),
        ("getTenantPreferencePage", "accountId"),
    ],
)
def test_a_tenants_preferences_are_refused_naming_the_field(method: str, field: str) -> None:
    api, shipping, _ = workspace()
    answer = as_client(api, issue(api, SCOPE), method, shipping)
    assert answer["errors"][0]["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("[email, push]", "[inbox]"), "preferences.routingPreferences: inbox is not one of"),
        (("OPTED_OUT", "UNKNOWN"), "preferences.status: "),
        (('"TOPIC"', json.dumps("x" * 257)), "templateId: must be 1-256"),
    ],
)
def test_a_change_the_store_cannot_hold_is_refused_naming_the_field(
    replace: tuple[str, str], message: str
) -> None:
    api, shipping, _ = workspace()
    query = (
        sent("putUserPreferenceTopic").replace(*replace).replace('"TOPIC"', json.dumps(shipping))
    )
    answer = client_q(api, issue(api, SCOPE), query)
    assert answer.status == 200 and answer.body["errors"][0]["message"].startswith(message)
    assert call(api, "GET", "/users/ada/preferences").body["items"][0]["status"] != "OPTED_OUT"


@pytest.mark.parametrize(
    "query",
    [
        "query GetRecipientPreferences { recipientPreferences { nodes { secret } } }",
        "query Other { recipientPreferences { nodes { templateId } } }",
        "mutation GetRecipientPreferences { updatePreferenceV2 { templateId } }",
        "query GetRecipientPreferences { __schema { types { name } } }",
    ],
)
def test_anything_the_client_never_sends_is_refused(query: str) -> None:
    api, _ = make_api()
    answer = client_q(api, issue(api, SCOPE), query)
    assert answer.status == 400 and answer.body["errors"], answer.body
