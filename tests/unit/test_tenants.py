"""Tenants over in-memory stores: Courier's tenants API, and what a tenant does to a send."""

from __future__ import annotations

from typing import Any

from herald.api.http import Api
from herald.domain.audience import SubscriptionTopic, UserTopicChoice, decide
from herald.resources.tenants import MAX_DEFAULT_PREFERENCES, MAX_LIMIT, MAX_TENANTS_PER_CALL
from tests.unit.fakes import Pipeline, settings_with
from tests.unit.test_api import call, make_api
from tests.unit.test_openapi_responses import check

ACME = {
    "name": "Acme",
    "brand_id": "acme-brand",
    "properties": {"plan": "gold", "support": "help@acme.example"},
}
BRAND = {
    "id": "acme-brand",
    "name": "Acme",
    "settings": {"email": {"header": {"logo": {"image": "https://acme.example/logo.png"}}}},
}


PLAIN = {"name": "Acme", "properties": {"plan": "gold"}}  # no brand of its own


def put(api: Api, path: str, body: Any = None) -> int:
    return call(api, "PUT", path, body).status


def send(api: Api, pipeline: Pipeline, message: dict[str, Any]) -> dict[str, Any]:
    response = call(api, "POST", "/send", {"message": message})
    assert response.status == 202, response.body
    pipeline.drain()
    return dict(call(api, "GET", f"/messages/{response.body['requestId']}").body)


def test_a_tenant_is_put_read_listed_and_deleted_in_courier_shapes() -> None:
    api, _ = make_api()
    stored = call(api, "PUT", "/tenants/acme", ACME)
    assert stored.status == 200
    assert check(stored, "PUT", "/tenants/{tenant_id}")["properties"]["plan"] == "gold"
    got = check(call(api, "GET", "/tenants/acme"), "GET", "/tenants/{tenant_id}")
    assert (got["id"], got["name"], got["brand_id"]) == ("acme", "Acme", "acme-brand")
    put(api, "/tenants/beta", {"name": "Beta", "parent_tenant_id": "acme"})
    listed = check(call(api, "GET", "/tenants"), "GET", "/tenants")
    assert [t["id"] for t in listed["items"]] == ["acme", "beta"]
    assert (listed["type"], listed["has_more"], listed["cursor"]) == ("list", False, None)
    children = call(api, "GET", "/tenants", parent_tenant_id="acme").body
    assert [t["id"] for t in children["items"]] == ["beta"]
    # PUT replaces: what is not given is gone.
    put(api, "/tenants/acme", {"name": "Acme 2"})
    assert call(api, "GET", "/tenants/acme").body["properties"] is None
    assert call(api, "DELETE", "/tenants/acme").status == 204
    gone = call(api, "GET", "/tenants/acme")
    assert gone.status == 404
    check(gone, "GET", "/tenants/{tenant_id}")
    assert call(api, "DELETE", "/tenants/acme").status == 404


def test_tenants_page_by_cursor_with_a_bounded_limit() -> None:
    api, _ = make_api()
    for n in range(5):
        put(api, f"/tenants/t{n}", {"name": f"T{n}"})
    first = call(api, "GET", "/tenants", limit="2").body
    assert ([t["id"] for t in first["items"]], first["has_more"]) == (["t0", "t1"], True)
    assert first["next_url"] == "/tenants?cursor=t1"
    rest = call(api, "GET", "/tenants", limit="3", cursor=first["cursor"]).body
    assert ([t["id"] for t in rest["items"]], rest["has_more"]) == (["t2", "t3", "t4"], True)
    assert call(api, "GET", "/tenants", cursor=rest["cursor"]).body["items"] == []
    assert call(api, "GET", "/tenants", limit=str(MAX_LIMIT)).status == 200
    for bad in ("0", str(MAX_LIMIT + 1), "x"):
        refused = call(api, "GET", "/tenants", limit=bad)
        assert (refused.status, refused.body["errors"][0]["field"]) == (400, "limit")


def test_another_workspaces_tenant_is_a_404_everywhere() -> None:
    api, _ = make_api()
    put(api, "/tenants/acme", ACME)
    put(api, "/users/ada/tenants/acme")
    other = "other-key"
    assert call(api, "GET", "/tenants/acme", key=other).status == 404
    assert call(api, "GET", "/tenants", key=other).body["items"] == []
    assert call(api, "GET", "/tenants/acme/users", key=other).status == 404
    assert call(api, "PUT", "/users/ada/tenants/acme", key=other).status == 404
    assert call(api, "GET", "/users/ada/tenants", key=other).body["items"] == []
    item = {"status": "OPTED_OUT"}
    path = "/tenants/acme/default_preferences/items/news"
    assert call(api, "PUT", path, item, key=other).status == 404
    assert call(api, "DELETE", "/tenants/acme", key=other).status == 404
    assert call(api, "GET", "/tenants/acme").status == 200


def test_tenant_fields_are_checked_and_ids_bounded() -> None:
    api, _ = make_api()
    missing = call(api, "PUT", "/tenants/acme", {"brand_id": "b"})
    assert (missing.status, missing.body["errors"][0]["field"]) == (400, "name")
    bad_brand = call(api, "PUT", "/tenants/acme", {"name": "A", "brand_id": "_x"})
    assert bad_brand.body["errors"][0]["field"] == "brand_id"
    nested = call(api, "PUT", "/tenants/acme", {"name": "A", "properties": {"x": [[1]]}})
    assert (nested.status, nested.body["errors"][0]["field"]) == (400, "properties")
    assert put(api, "/tenants/" + "t" * 256, {"name": "A"}) == 200
    assert put(api, "/tenants/" + "t" * 257, {"name": "A"}) == 404  # no such route
    items = [{"id": f"topic{n}", "status": "OPTED_IN"} for n in range(MAX_DEFAULT_PREFERENCES)]
    full = {"name": "A", "default_preferences": {"items": items}}
    assert put(api, "/tenants/full", full) == 200
    over = {
        "name": "A",
        "default_preferences": {"items": [*items, {"id": "x", "status": "OPTED_IN"}]},
    }
    refused = call(api, "PUT", "/tenants/full", over)
    assert refused.body["errors"][0]["field"] == "default_preferences.items"
    one_more = call(
        api, "PUT", "/tenants/full/default_preferences/items/another", {"status": "OPTED_IN"}
    )
    assert (one_more.status, one_more.body["errors"][0]["field"]) == (400, "topic_id")


def test_default_preferences_are_set_and_removed_one_topic_at_a_time() -> None:
    api, _ = make_api()
    put(api, "/tenants/acme", ACME)
    path = "/tenants/acme/default_preferences/items/news"
    body = {"status": "OPTED_IN", "has_custom_routing": True, "custom_routing": ["email"]}
    assert put(api, path, body) == 204
    assert put(api, path, {"status": "OPTED_OUT"}) == 204  # replaces, not duplicates
    items = call(api, "GET", "/tenants/acme").body["default_preferences"]["items"]
    assert items == [
        {"id": "news", "status": "OPTED_OUT", "has_custom_routing": False, "custom_routing": []}
    ]
    assert call(api, "DELETE", path).status == 204
    assert call(api, "DELETE", path).status == 404
    assert call(api, "GET", "/tenants/acme").body["default_preferences"]["items"] == []
    bad = call(api, "PUT", path, {"status": "MAYBE"})
    assert (bad.status, bad.body["errors"][0]["field"]) == (400, "status")


def test_users_join_and_leave_tenants_seen_from_both_sides() -> None:
    api, _ = make_api()
    put(api, "/tenants/acme", ACME)
    put(api, "/tenants/beta", {"name": "Beta"})
    assert put(api, "/users/ada/tenants/acme", {"profile": {"role": "admin"}}) == 204
    assert put(api, "/users/bob/tenants/acme") == 204
    assert put(api, "/users/ada/tenants/nope") == 404
    members = check(call(api, "GET", "/tenants/acme/users"), "GET", "/tenants/{tenant_id}/users")
    assert [(m["user_id"], m["profile"]) for m in members["items"]] == [
        ("ada", {"role": "admin"}),
        ("bob", None),
    ]
    many = {"tenants": [{"tenant_id": "beta", "user_id": "ada", "type": "user"}]}
    assert put(api, "/users/ada/tenants", many) == 204
    mine = check(call(api, "GET", "/users/ada/tenants"), "GET", "/users/{user_id}/tenants")
    assert [m["tenant_id"] for m in mine["items"]] == ["acme", "beta"]
    unknown = call(api, "PUT", "/users/ada/tenants", {"tenants": [{"tenant_id": "nope"}]})
    assert (unknown.status, unknown.body["errors"][0]["field"]) == (400, "tenants[0].tenant_id")
    other_user = call(
        api, "PUT", "/users/ada/tenants", {"tenants": [{"tenant_id": "beta", "user_id": "bob"}]}
    )
    assert other_user.body["errors"][0]["field"] == "tenants[0].user_id"
    assert call(api, "DELETE", "/users/bob/tenants/acme").status == 204
    assert call(api, "DELETE", "/users/bob/tenants/acme").status == 404
    assert call(api, "DELETE", "/users/ada/tenants").status == 204
    assert call(api, "GET", "/users/ada/tenants").body["items"] == []
    assert call(api, "GET", "/tenants/acme/users").body["items"] == []
    assert call(api, "GET", "/tenants/nope/users").status == 404


def test_a_user_joins_at_most_a_bounded_number_of_tenants_per_call() -> None:
    api, _ = make_api()
    for n in range(MAX_TENANTS_PER_CALL + 1):
        put(api, f"/tenants/t{n:03}", {"name": "T"})
    tenants = [{"tenant_id": f"t{n:03}"} for n in range(MAX_TENANTS_PER_CALL)]
    assert put(api, "/users/ada/tenants", {"tenants": tenants}) == 204
    over = {"tenants": [*tenants, {"tenant_id": f"t{MAX_TENANTS_PER_CALL:03}"}]}
    refused = call(api, "PUT", "/users/ada/tenants", over)
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "tenants")


def test_context_tenant_id_brands_the_email_and_gives_templates_its_properties() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/brands", BRAND)
    put(api, "/tenants/acme", ACME)
    content = {
        "version": "2022-01-01",
        "elements": [
            {"type": "meta", "title": "Your {{tenant.plan}} plan"},
            {"type": "text", "content": "Write to {{tenant.support}}"},
        ],
    }
    message = send(
        api,
        pipeline,
        {"to": {"email": "a@example.com"}, "content": content, "context": {"tenant_id": "acme"}},
    )
    assert message["status"] == "SENT"
    email = pipeline.email.sent[-1].rendered
    assert email["subject"] == "Your gold plan"
    assert "help@acme.example" in email["text"]
    assert "https://acme.example/logo.png" in email["html"]


def test_the_sends_own_brand_wins_over_the_tenants() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/brands", BRAND)
    call(
        api,
        "POST",
        "/brands",
        {
            **BRAND,
            "id": "own",
            "settings": {"email": {"header": {"logo": {"image": "https://own.example/l.png"}}}},
        },
    )
    put(api, "/tenants/acme", ACME)
    content = {"version": "2022-01-01", "elements": [{"type": "text", "content": "x"}]}
    send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "content": content,
            "brand_id": "own",
            "context": {"tenant_id": "acme"},
        },
    )
    html = pipeline.email.sent[-1].rendered["html"]
    assert "https://own.example/l.png" in html and "acme.example" not in html


def test_a_tenant_whose_brand_is_gone_ends_its_messages_undeliverable() -> None:
    api, pipeline = make_api()
    put(api, "/tenants/acme", ACME)  # its brand was never created
    message = send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "context": {"tenant_id": "acme"},
        },
    )
    assert (message["status"], message["error"]) == (
        "UNDELIVERABLE",
        "brand acme-brand does not exist",
    )


def test_a_missing_tenant_ends_the_message_undeliverable() -> None:
    api, pipeline = make_api()
    message = send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "context": {"tenant_id": "nope"},
        },
    )
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "FAILED")
    assert "tenant nope" in message["error"]


def test_preference_order_user_then_tenant_then_topic() -> None:
    topic = SubscriptionTopic(topic_id="news", default_status="OPTED_IN")
    tenant_out = UserTopicChoice(status="OPTED_OUT")
    user_in = UserTopicChoice(status="OPTED_IN")
    assert decide(topic, None).allowed
    assert not decide(topic, None, tenant_out).allowed  # the tenant's default over the topic's
    assert decide(topic, user_in, tenant_out).allowed  # the user's own over the tenant's
    required = SubscriptionTopic(topic_id="news", default_status="REQUIRED")
    assert decide(required, None, tenant_out).allowed  # a required topic stays required
    routed = UserTopicChoice(status="OPTED_IN", has_custom_routing=True, custom_routing=["sms"])
    assert decide(topic, None, routed).channels == ["sms"]
    assert decide(topic, user_in, routed).channels == ["sms"]  # no routing of the user's own
    own = UserTopicChoice(status="OPTED_IN", has_custom_routing=True, custom_routing=["email"])
    assert decide(topic, own, routed).channels == ["email"]


def test_a_tenants_default_preferences_apply_under_the_users_own() -> None:
    api, pipeline = make_api()
    call(api, "PUT", "/preferences/topics/news", {"topic_name": "News"})
    put(api, "/tenants/acme", PLAIN)
    put(api, "/tenants/acme/default_preferences/items/news", {"status": "OPTED_OUT"})
    for user in ("ada", "bob"):
        call(api, "POST", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com"}})
    call(api, "PUT", "/users/bob/preferences/news", {"topic": {"status": "OPTED_IN"}})
    base = {"content": {"body": "x"}, "preferences": {"subscription_topic_id": "news"}}
    tenant = {"context": {"tenant_id": "acme"}}
    ada = send(api, pipeline, {**base, **tenant, "to": {"user_id": "ada"}})
    assert (ada["status"], ada["reason"]) == ("UNDELIVERABLE", "OPT_IN_REQUIRED")
    bob = send(api, pipeline, {**base, **tenant, "to": {"user_id": "bob"}})
    assert bob["status"] == "SENT"
    without = send(api, pipeline, {**base, "to": {"user_id": "ada"}})
    assert without["status"] == "SENT"


def test_to_tenant_id_sends_to_each_of_the_tenants_users_in_its_context() -> None:
    api, pipeline = make_api()
    put(api, "/tenants/acme", PLAIN)
    put(api, "/tenants/beta", {"name": "Beta"})
    for user in ("ada", "bob", "cy"):
        call(api, "POST", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com"}})
    put(api, "/users/ada/tenants/acme")
    put(api, "/users/bob/tenants/acme")
    put(api, "/users/cy/tenants/beta")
    content = {"title": "{{tenant.plan}}", "body": "b"}
    response = call(
        api, "POST", "/send", {"message": {"to": {"tenant_id": "acme"}, "content": content}}
    )
    pipeline.drain()
    sent = sorted((d.recipient["email"], d.rendered["subject"]) for d in pipeline.email.sent)
    assert sent == [("ada@example.com", "gold"), ("bob@example.com", "gold")]
    listed = call(api, "GET", "/messages", tenant_id="acme").body["results"]
    assert sorted(m["recipient"] for m in listed) == ["ada", "bob"]
    assert all(m["requestId"] == response.body["requestId"] for m in listed)
    assert call(api, "GET", "/messages", tenant_id="beta").body["results"] == []


def test_a_tenant_send_to_a_missing_tenant_ends_without_a_message() -> None:
    api, pipeline = make_api()
    response = call(
        api, "POST", "/send", {"message": {"to": {"tenant_id": "nope"}, "content": {"body": "x"}}}
    )
    pipeline.drain()
    record = call(api, "GET", f"/messages/{response.body['requestId']}").body
    assert record["status"] == "UNDELIVERABLE"
    assert "tenant nope does not exist" in record["error"]
    assert pipeline.email.sent == []


def test_a_tenant_recipient_takes_no_address_and_is_named_once() -> None:
    api, _ = make_api()
    mixed = {"tenant_id": "acme", "email": "a@example.com"}
    refused = call(api, "POST", "/send", {"message": {"to": mixed, "content": {"body": "x"}}})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "message.to")
    twice = [{"tenant_id": "acme"}, {"tenant_id": "acme", "data": {"v": 1}}]
    again = call(api, "POST", "/send", {"message": {"to": twice, "content": {"body": "x"}}})
    assert again.body["errors"][0]["field"] == "message.to[1].tenant_id"
    bad_context = {
        "to": {"email": "a@example.com"},
        "content": {"body": "x"},
        "context": {"tenant_id": "_x"},
    }
    bad = call(api, "POST", "/send", {"message": bad_context})
    assert bad.body["errors"][0]["field"] == "message.context.tenant_id"


def test_messages_filter_by_the_context_tenant() -> None:
    api, pipeline = make_api()
    put(api, "/tenants/acme", PLAIN)
    one = send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "context": {"tenant_id": "acme"},
        },
    )
    send(api, pipeline, {"to": {"email": "b@example.com"}, "content": {"body": "x"}})
    found = call(api, "GET", "/messages", tenant_id="acme").body["results"]
    assert [m["id"] for m in found] == [one["id"]]
    both = call(api, "GET", "/messages", tenant_id="acme", status="SENT").body["results"]
    assert [m["id"] for m in both] == [one["id"]]


def test_a_tenants_users_count_towards_the_requests_message_cap() -> None:
    api, _ = make_api(settings_with(max_messages_per_request=3))
    put(api, "/tenants/acme", PLAIN)
    for user in ("ada", "bob", "cy"):
        put(api, f"/users/{user}/tenants/acme")
    message = {"content": {"body": "x"}}
    at_cap = call(api, "POST", "/send", {"message": {**message, "to": {"tenant_id": "acme"}}})
    assert at_cap.status == 202
    to = [{"tenant_id": "acme"}, {"email": "one-more@example.com"}]
    over = call(api, "POST", "/send", {"message": {**message, "to": to}})
    assert over.status == 400
    assert "tenant acme: 3" in over.body["errors"][0]["reason"]
