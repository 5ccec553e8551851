"""The inbox channel, user tokens and the inbox's GraphQL endpoint, on in-memory stores.

The GraphQL requests are the ones Courier's browser client sends, recorded from the
shipped package (``data/courier_js/operations-<version>.json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from herald.api import client_graphql
from herald.api.http import Api, HttpRequest, HttpResponse
from herald.api.inbox_graphql import CLIENT_OPERATIONS, RefusedQuery, check_operation, schema
from herald.domain.inbox import InboxFilter, entry_id
from herald.engagement.user_tokens import Scope, UserTokens, duration_s
from herald.ids import hash_api_key
from herald.providers.base import Dispatch
from herald.providers.inbox import InboxProvider
from herald.store.documents import InMemoryDocuments
from herald.store.inbox import InboxEntries
from tests.unit.fakes import Pipeline, settings_with
from tests.unit.test_api import KEY, call
from tests.unit.test_body_limits import RecordingStream

SECRET = "unit-user-token-secret-of-32-bytes-at-least"
CLIENT = json.loads(
    (Path(__file__).parent / "data" / "courier_js" / "operations-3.4.0.json").read_text()
)
FULL_SCOPE = "user_id:ada inbox:read:messages inbox:write:events"
SEND_BODY = {"message": {"to": {"email": "ada@example.com"}, "content": {"body": "x"}}}


def sent_by_client(method: str) -> dict[str, Any]:
    """The request courier-js sends for ``method`` (its ids as recorded: MESSAGE, ...)."""
    [request] = [r for r in CLIENT["requests"] if r["method"] == method]
    return dict(request)


def make_api(**settings: Any) -> tuple[Api, Pipeline]:
    pipeline = Pipeline(settings_with(**{"user_token_secret": SECRET, **settings}))
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    pipeline.keys.put(hash_api_key("other-key"), "ws2")
    return pipeline.api, pipeline


def send_inbox(api: Api, pipeline: Pipeline, user: str = "ada", **content: Any) -> str:
    message = {
        "to": {"user_id": user},
        "content": content or {"title": "Hello {{name}}", "body": "Your order shipped"},
        "data": {"name": "Ada"},
        "routing": {"method": "single", "channels": ["inbox"]},
        "metadata": {"tags": ["orders"]},
    }
    response = call(api, "POST", "/send", {"message": message})
    assert response.status == 202, response.body
    pipeline.drain()
    request_id: str = response.body["requestId"]
    return request_id


def issue(api: Api, scope: str = FULL_SCOPE, expires_in: str = "1h", key: str = KEY) -> str:
    response = call(
        api, "POST", "/auth/issue-token", {"scope": scope, "expires_in": expires_in}, key
    )
    assert response.status == 200, response.body
    token: str = response.body["token"]
    return token


def graphql(
    api: Api, token: str, query: str, user: str | None = "ada", **variables: Any
) -> HttpResponse:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if user is not None:
        headers["x-courier-user-id"] = user
    body = json.dumps({"query": query, **({"variables": variables} if variables else {})})
    return api.handle(HttpRequest("POST", "/inbox/q", headers, body.encode()))


def as_client(api: Api, token: str, method: str, message_id: str = "") -> HttpResponse:
    request = sent_by_client(method)
    query = request["query"].replace('"MESSAGE"', json.dumps(message_id))
    return graphql(
        api, token, query, request["headers"]["x-courier-user-id"].replace("USER", "ada")
    )


def inbox_nodes(api: Api, token: str) -> list[dict[str, Any]]:
    answer = as_client(api, token, "getMessages")
    assert answer.status == 200 and "errors" not in answer.body, answer.body
    nodes: list[dict[str, Any]] = answer.body["data"]["messages"]["nodes"]
    return nodes


# --- the channel ----------------------------------------------------------------------


def test_a_send_routed_to_the_inbox_is_stored_rendered_in_the_users_inbox() -> None:
    api, pipeline = make_api()
    message_id = send_inbox(api, pipeline)
    assert call(api, "GET", f"/messages/{message_id}").body["status"] == "DELIVERED"
    nodes = inbox_nodes(api, issue(api))
    assert [(n["messageId"], n["title"], n["preview"], n["tags"]) for n in nodes] == [
        (message_id, "Hello Ada", "Your order shipped", ["orders"])
    ]
    assert nodes[0]["read"] is None and nodes[0]["data"] == {"name": "Ada"}
    assert not pipeline.email.sent and not pipeline.webhook.sent


def test_elemental_actions_become_the_inbox_messages_actions() -> None:
    api, pipeline = make_api()
    send_inbox(
        api,
        pipeline,
        version="2022-01-01",
        elements=[
            {"type": "meta", "title": "Deals"},
            {"type": "text", "content": "Hello {{name}}"},
            {"type": "action", "content": "Shop", "href": "https://shop.example/deals"},
        ],
    )
    [node] = inbox_nodes(api, issue(api))
    assert (node["title"], node["preview"]) == ("Deals", "Hello Ada")
    assert node["actions"] == [
        {"content": "Shop", "href": "https://shop.example/deals", "data": None}
    ]


def test_without_routing_a_user_id_alone_is_not_routed_to_the_inbox() -> None:
    # The inbox is taken only when the routing names it, as before it existed.
    api, pipeline = make_api()
    response = call(
        api, "POST", "/send", {"message": {"to": {"user_id": "ada"}, "content": {"body": "x"}}}
    )
    pipeline.drain()
    message = call(api, "GET", f"/messages/{response.body['requestId']}").body
    assert message["status"] == "UNROUTABLE"


def test_a_redelivered_message_is_in_the_inbox_once() -> None:
    api, pipeline = make_api()
    message_id = send_inbox(api, pipeline)
    [rendered] = [e for e in pipeline.messages.outbox if e.type == "message.rendered"]
    pipeline.services.deliver.handle(rendered)  # Pub/Sub delivers at least once
    provider = InboxProvider(pipeline.documents, lambda: 0)
    dispatch = Dispatch(
        message_id,
        "k",
        {"user_id": "ada"},
        {"title": "again", "body": ""},
        workspace="ws1",
        enqueued_ms=pipeline.messages.get_message("ws1", message_id).enqueued_ms,  # type: ignore[union-attr]
    )
    provider.send(dispatch, lambda: None)
    nodes = inbox_nodes(api, issue(api))
    assert [n["messageId"] for n in nodes] == [message_id] and nodes[0]["title"] == "Hello Ada"


def test_the_inbox_lists_newest_first_in_pages_with_the_clients_cursor() -> None:
    documents = InMemoryDocuments()
    provider = InboxProvider(documents, lambda: 0)
    ids = [f"{i:032x}" for i in range(5)]
    for at, message_id in enumerate(ids):
        provider.send(
            Dispatch(
                message_id,
                "k",
                {"user_id": "ada"},
                {"title": str(at)},
                workspace="ws1",
                enqueued_ms=1000 + at,
            ),
            lambda: None,
        )
    entries = InboxEntries(documents)
    first = entries.page("ws1", "ada", InboxFilter(), None, 2)
    assert [e["title"] for e in first.entries] == ["4", "3"]
    assert first.next_cursor == entry_id(1003, ids[3])
    last = entries.page("ws1", "ada", InboxFilter(), entry_id(1001, ids[1]), 2)
    assert [e["title"] for e in last.entries] == ["0"] and last.next_cursor is None


def test_a_query_reads_at_most_its_bound_of_entries() -> None:
    documents = InMemoryDocuments()
    provider = InboxProvider(documents, lambda: 0)
    for at in range(7):
        provider.send(
            Dispatch(f"{at:032x}", "k", {"user_id": "ada"}, {}, workspace="ws1", enqueued_ms=at),
            lambda: None,
        )
    assert InboxEntries(documents, max_scanned=5).count("ws1", "ada", InboxFilter()) == 5
    assert InboxEntries(documents, max_scanned=7).count("ws1", "ada", InboxFilter()) == 7


# --- the user's changes ---------------------------------------------------------------


def test_read_as_the_client_sends_it_marks_read_and_records_message_read() -> None:
    api, pipeline = make_api()
    message_id = send_inbox(api, pipeline)
    token = issue(api)
    counted = as_client(api, token, "getUnreadMessageCount")
    assert counted.body == {"data": {"count": 1}}
    assert as_client(api, token, "read", message_id).status == 200
    assert inbox_nodes(api, token)[0]["read"] is not None
    assert as_client(api, token, "getUnreadMessageCount").body == {"data": {"count": 0}}
    as_client(api, token, "read", message_id)  # twice: one event
    as_client(api, token, "unread", message_id)
    as_client(api, token, "read", message_id)
    pipeline.drain()
    history = call(api, "GET", f"/messages/{message_id}/history").body["results"]
    kinds = [event["type"] for event in history]
    assert [k for k in kinds if k in ("READ", "UNREAD")] == ["READ", "UNREAD", "READ"]


def test_open_click_archive_and_the_bulk_changes() -> None:
    api, pipeline = make_api()
    first = send_inbox(api, pipeline)
    second = send_inbox(api, pipeline)
    token = issue(api)
    as_client(api, token, "open", first)
    click = sent_by_client("click")["query"].replace('"MESSAGE"', json.dumps(first))
    click = click.replace('"TRACKING"', json.dumps(first))
    assert graphql(api, token, click).body == {"data": {"clicked": True}}
    pipeline.drain()
    assert call(api, "GET", f"/messages/{first}").body["status"] == "CLICKED"

    as_client(api, token, "archive", first)
    assert [n["messageId"] for n in inbox_nodes(api, token)] == [second]
    archived = as_client(api, token, "getArchivedMessages").body["data"]["messages"]["nodes"]
    assert [n["messageId"] for n in archived] == [first]
    as_client(api, token, "unarchive", first)
    as_client(api, token, "readAll")
    assert as_client(api, token, "getUnreadMessageCount").body["data"]["count"] == 0
    as_client(api, token, "archiveRead")
    assert inbox_nodes(api, token) == []
    pipeline.drain()
    history = call(api, "GET", f"/messages/{first}/history").body["results"]
    assert {"OPENED", "CLICKED", "ARCHIVED", "UNARCHIVED", "READ"} <= {e["type"] for e in history}


def test_a_batch_open_opens_each_message() -> None:
    api, pipeline = make_api()
    first, second = send_inbox(api, pipeline), send_inbox(api, pipeline)
    token = issue(api)
    query = sent_by_client("batchOpen")["query"].replace('"MESSAGE"', json.dumps(first))
    query = query.replace('"MESSAGE2"', json.dumps(second))
    assert graphql(api, token, query).body == {"data": {"open_0": True, "open_1": True}}
    assert all(n["opened"] for n in inbox_nodes(api, token))


def test_unread_counts_per_dataset_as_the_client_asks() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    answer = as_client(api, issue(api), "getUnreadCounts")
    assert answer.body == {"data": {"id_all": 1, "id_tag_a": 0}}


# --- tokens ---------------------------------------------------------------------------


def test_issue_token_answers_courier_shape_with_the_scope_and_lifetime_asked() -> None:
    api, _ = make_api()
    token = issue(api, expires_in="2 hours")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="herald-user")
    assert claims["ws"] == "ws1" and claims["exp"] - claims["iat"] == 7200
    assert claims["scope"] == FULL_SCOPE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "inbox:read:messages", "expires_in": "1h"}, "scope"),
        ({"scope": "user_id:ada inbox:everything", "expires_in": "1h"}, "scope"),
        ({"scope": "user_id:a/b inbox:read:messages", "expires_in": "1h"}, "scope"),
        ({"scope": FULL_SCOPE, "expires_in": "soon"}, "expires_in"),
        ({"scope": FULL_SCOPE, "expires_in": "366 days"}, "expires_in"),
        ({"scope": FULL_SCOPE, "expires_in": "1" * 65}, "expires_in"),
        ({"scope": "user_id:a " * 300, "expires_in": "1h"}, "scope"),
    ],
)
def test_issue_token_refuses_bad_input_naming_the_field(body: dict[str, str], field: str) -> None:
    api, _ = make_api()
    response = call(api, "POST", "/auth/issue-token", body)
    assert response.status == 400, response.body
    assert [e["field"] for e in response.body["errors"]] == [field]


def test_issue_token_needs_the_api_key_and_a_configured_secret() -> None:
    api, _ = make_api()
    assert (
        call(
            api, "POST", "/auth/issue-token", {"scope": FULL_SCOPE, "expires_in": "1h"}, None
        ).status
        == 401
    )
    off, _ = make_api(user_token_secret=None)
    assert (
        call(off, "POST", "/auth/issue-token", {"scope": FULL_SCOPE, "expires_in": "1h"}).status
        == 404
    )


def test_durations_read_as_courier_documents_them() -> None:
    assert [duration_s(d) for d in ("2 hours", "1d", "3 days", "10h", "2.5 hrs", "1m", "5s")] == [
        7200,
        86400,
        259200,
        36000,
        9000,
        60,
        5,
    ]
    assert duration_s("1y") == 365.25 * 86400 and duration_s("60000") == 60


def test_an_expired_token_is_refused_with_401() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    tokens = UserTokens([SECRET])
    old = tokens.issue("ws1", Scope.parse(FULL_SCOPE), int(time.time()) - 7200, 3600)
    answer = as_client(api, old, "getMessages")
    assert answer.status == 401 and "expired" in answer.body["message"]


def test_a_wrongly_signed_or_malformed_token_is_refused_with_401() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    forged = UserTokens(["another-secret-of-32-bytes-at-least-too"]).issue(
        "ws1", Scope.parse(FULL_SCOPE), int(time.time()), 3600
    )
    claims = jwt.decode(issue(api), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    resigned = jwt.encode(
        claims,
        "a-guessed-secret-of-32-bytes-long!",
        algorithm="HS256",
        headers={"kid": jwt.get_unverified_header(issue(api))["kid"]},
    )
    for token in (forged, unsigned, resigned, "not-a-jwt", "x" * 5000):
        assert as_client(api, token, "getMessages").status == 401, token[:40]
    assert graphql(api, "", sent_by_client("getMessages")["query"]).status == 401


def test_a_rotated_secret_still_verifies_the_tokens_it_signed() -> None:
    api, _ = make_api()
    token = issue(api)
    rotated, _ = make_api(user_token_secret=f"newer-secret-of-32-bytes-at-least-as-well,{SECRET}")
    assert as_client(rotated, token, "getMessages").status == 200
    fresh = issue(rotated)
    assert jwt.get_unverified_header(fresh)["kid"] != jwt.get_unverified_header(token)["kid"]


def test_a_token_without_the_scope_cannot_read_or_write() -> None:
    api, pipeline = make_api()
    message_id = send_inbox(api, pipeline)
    read_only = issue(api, "user_id:ada inbox:read:messages")
    assert as_client(api, read_only, "getMessages").status == 200
    assert as_client(api, read_only, "read", message_id).status == 403
    write_only = issue(api, "user_id:ada inbox:write:events")
    assert as_client(api, write_only, "getMessages").status == 403
    assert inbox_nodes(api, issue(api))[0]["read"] is None


def test_a_token_for_one_user_cannot_read_or_change_anothers_inbox() -> None:
    api, pipeline = make_api()
    adas = send_inbox(api, pipeline, user="ada")
    bobs = issue(api, "user_id:bob inbox:read:messages inbox:write:events")
    # Asking for ada with bob's token.
    assert as_client(api, bobs, "getMessages").status == 403
    # Bob's own inbox is empty, and ada's message is not his to change.
    query = sent_by_client("read")["query"].replace('"MESSAGE"', json.dumps(adas))
    changed = graphql(api, bobs, query, user="bob")
    assert (
        changed.status == 200
        and changed.body["errors"][0]["message"] == "no such message in this inbox"
    )
    empty = graphql(api, bobs, sent_by_client("getMessages")["query"], user="bob")
    assert empty.body["data"]["messages"]["nodes"] == []
    assert inbox_nodes(api, issue(api))[0]["read"] is None


def test_a_token_of_another_workspace_sees_nothing_of_this_one() -> None:
    api, pipeline = make_api()
    message_id = send_inbox(api, pipeline)
    other = issue(api, key="other-key")
    assert inbox_nodes(api, other) == []
    refused = as_client(api, other, "read", message_id)
    assert refused.body["errors"][0]["message"] == "no such message in this inbox"


# --- the operations ---------------------------------------------------------------------


def test_every_operation_the_recorded_client_sends_is_served_and_no_other_name() -> None:
    assert CLIENT["version"] == "3.4.0"
    # Herald's endpoint for each URL the client was given, and what it serves.
    served = {
        "https://inbox.test/inbox/q": (schema(), CLIENT_OPERATIONS),
        "https://rest.test/client/q": (client_graphql.schema(), client_graphql.CLIENT_OPERATIONS),
    }
    names: dict[str, set[str]] = {url: set() for url in served}
    for request in CLIENT["requests"]:
        assert request["url"] in served, request["method"]
        check_operation(request["query"], *served[request["url"]])
        names[request["url"]].add(request["query"].split("(")[0].split("{")[0].split()[1])
    # A client version that sends a new operation shows here when its recording is added.
    assert {url: set(operations) for url, (_, operations) in served.items()} == names


@pytest.mark.parametrize(
    "query",
    [
        "query Other { count }",
        "query { count }",
        "query GetMessages { __schema { types { name } } }",
        "query GetMessages { count __typename secret }",
        'mutation GetMessages { read(messageId: "x") }',
        "query GetMessages { count } query TrackEvent { count }",
        "query GetMessages { ...F } fragment F on Query { count }",
        "query GetMessages { " + " ".join(f"a{i}: count" for i in range(51)) + " }",
        "query GetMessages { count " + "(" * 5000,
        "x" * (32 * 1024 + 1),
    ],
)
def test_anything_the_client_never_sends_is_refused(query: str) -> None:
    with pytest.raises(RefusedQuery):
        check_operation(query, schema(), CLIENT_OPERATIONS)
    api, _ = make_api()
    answer = graphql(api, issue(api), query)
    assert answer.status == 400 and answer.body["errors"], answer.body


def test_filters_and_limits_are_checked_before_a_read() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    token = issue(api)
    bad = [
        "query GetMessages { messages(limit: 101) { totalCount } }",
        'query GetMessages { messages(after: "../x") { totalCount } }',
        'query GetMessages { count(params: { status: "maybe" }) }',
        'query GetMessages { count(params: { from: "yesterday" }) }',
    ]
    for query in bad:
        answer = graphql(api, token, query)
        assert answer.status == 200 and answer.body["errors"], query
    # The client's own filters: tags, status, archived, from, its cursor and page size.
    query = sent_by_client("getMessagesFiltered")["query"].replace('"TAG"', '"orders"')
    query = query.replace('"CURSOR"', json.dumps(entry_id(10**13 - 1, "0" * 32)))
    assert graphql(api, token, query).body["data"]["messages"]["nodes"] == []  # none read
    [node] = inbox_nodes(api, token)
    as_client(api, token, "read", node["messageId"])
    as_client(api, token, "archive", node["messageId"])
    [found] = graphql(api, token, query).body["data"]["messages"]["nodes"]
    assert found["messageId"] == node["messageId"] and found["archived"] and found["read"]
    later = query.replace("2024-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z")
    assert graphql(api, token, later).body["data"]["messages"]["nodes"] == []


def test_browsers_on_any_origin_may_call_the_inbox_and_no_other_route() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    asked = api.handle(HttpRequest("OPTIONS", "/inbox/q", {"origin": "https://app.example"}))
    assert asked.status == 204
    assert asked.headers["access-control-allow-origin"] == "*"
    assert asked.headers["access-control-allow-methods"] == "POST"
    allowed = {h.strip() for h in asked.headers["access-control-allow-headers"].split(",")}
    # Every header courier-js sends, as recorded.
    sent = {h.lower() for r in CLIENT["requests"] for h in r["headers"]}
    assert sent <= allowed | {"content-type"}
    answer = as_client(api, issue(api), "getMessages")
    assert answer.headers["access-control-allow-origin"] == "*"
    refused = graphql(api, "bad-token", sent_by_client("getMessages")["query"])
    assert refused.status == 401 and refused.headers["access-control-allow-origin"] == "*"
    # The API key's routes are not for browsers.
    assert api.handle(HttpRequest("OPTIONS", "/send", {})).status == 405
    assert "access-control-allow-origin" not in call(api, "POST", "/send", SEND_BODY).headers


def test_a_read_reaches_the_customers_webhook_endpoints() -> None:
    api, pipeline = make_api()
    endpoint = {"url": "https://hooks.example.com/herald", "description": "inbox"}
    assert call(api, "POST", "/webhooks/endpoints", endpoint).status == 201
    message_id = send_inbox(api, pipeline)
    before = len(pipeline.customer_endpoints.posts)
    as_client(api, issue(api), "read", message_id)
    pipeline.drain()
    posted = [json.loads(p.body) for p in pipeline.customer_endpoints.posts[before:]]
    assert [(p["type"], p["data"]["id"]) for p in posted] == [("message:updated", message_id)]


def test_a_request_reads_the_inbox_once_however_many_counts_it_asks() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    token = issue(api)
    pages: list[str] = []
    reading = pipeline.documents.page

    def counted(workspace: str, collection: Any, after: str | None, limit: int) -> Any:
        pages.append(collection[-1])
        return reading(workspace, collection, after, limit)

    pipeline.documents.page = counted  # type: ignore[method-assign]
    fields = " ".join(f'c{i}: count(params: {{ tags: ["t{i}"] }})' for i in range(50))
    answer = graphql(api, token, f"query GetUnreadCounts {{ {fields} }}")
    assert answer.status == 200 and "errors" not in answer.body
    assert pages == ["entries"]
    pages.clear()
    assert as_client(api, token, "getMessages").status == 200
    assert pages == ["entries"]


def test_the_inbox_provider_is_built_in_and_never_listed_in_herald_providers() -> None:
    from herald.config import ProviderAccounts

    with pytest.raises(ValueError, match="built in, always enabled"):
        ProviderAccounts.from_env({"HERALD_PROVIDERS": "smtp,inbox"})
    _, pipeline = make_api()
    assert "inbox" in pipeline.services.deliver.providers


def test_a_graphql_body_over_its_limit_is_refused_unread_and_readable_by_the_page() -> None:
    api, _ = make_api()
    body = RecordingStream(64 * 1024 + 1)
    response = api.receive(HttpRequest("POST", "/inbox/q", {}), body, 64 * 1024 + 1)
    assert response.status == 413 and body.read_bytes == 0
    assert response.headers["access-control-allow-origin"] == "*"


def test_tag_filters_are_bounded_at_their_limits() -> None:
    api, pipeline = make_api()
    send_inbox(api, pipeline)
    token = issue(api)

    def count(tags: list[str]) -> HttpResponse:
        return graphql(
            api, token, f"query GetMessages {{ count(params: {{ tags: {json.dumps(tags)} }}) }}"
        )

    assert count([f"t{i}" for i in range(19)] + ["orders"]).body == {"data": {"count": 1}}
    assert count([f"t{i}" for i in range(21)]).body["errors"]
    assert count(["x" * 64]).body == {"data": {"count": 0}}
    assert count(["x" * 65]).body["errors"]


def test_a_bulk_change_changes_at_most_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from herald.resources import inbox

    monkeypatch.setattr(inbox, "MAX_BULK", 2)
    api, pipeline = make_api()
    for _ in range(3):
        send_inbox(api, pipeline)
    token = issue(api)
    as_client(api, token, "readAll")
    assert as_client(api, token, "getUnreadMessageCount").body["data"]["count"] == 1
    as_client(api, token, "readAll")
    assert as_client(api, token, "getUnreadMessageCount").body["data"]["count"] == 0


def brand_query(api: Api, token: str, brand_id: str) -> HttpResponse:
    request = sent_by_client("getBrand")
    query = request["query"].replace('"BRAND"', json.dumps(brand_id))
    headers = {**request["headers"], "Authorization": f"Bearer {token}", "x-courier-user-id": "ada"}
    body = json.dumps({"query": query, "variables": {"brandId": brand_id}}).encode()
    return api.handle(HttpRequest("POST", "/client/q", headers, body))


def test_the_brand_query_answers_the_brand_the_token_may_read() -> None:
    api, _ = make_api()
    brand = {
        "name": "Acme",
        "settings": {
            "colors": {"primary": "#112233", "secondary": "#445566"},
            "inapp": {"borderRadius": "8px", "disableCourierFooter": True},
            "email": {"header": {"logo": {"image": "https://acme.example/logo.png"}}},
        },
    }
    assert call(api, "POST", "/brands", {"id": "acme", **brand}).status in (200, 201)
    token = issue(api, "user_id:ada read:brands")
    answer = brand_query(api, token, "acme")
    assert answer.status == 200 and answer.headers["access-control-allow-origin"] == "*"
    assert answer.body == {
        "data": {
            "brand": {
                "settings": {
                    "colors": {"primary": "#112233", "secondary": "#445566", "tertiary": None},
                    "inapp": {"borderRadius": "8px", "disableCourierFooter": True},
                },
                "logo": {"href": None, "image": "https://acme.example/logo.png"},
                "links": None,
            }
        }
    }
    assert brand_query(api, token, "missing").body == {"data": {"brand": None}}
    assert brand_query(api, token, "a/b").body == {"data": {"brand": None}}
    only_acme = issue(api, "user_id:ada read:brands:acme")
    assert brand_query(api, only_acme, "acme").status == 200
    assert brand_query(api, only_acme, "other").status == 403
    assert brand_query(api, issue(api), "acme").status == 403  # inbox scopes only
    assert brand_query(
        api, issue(api, key="other-key", scope="user_id:ada read:brands"), "acme"
    ).body == {"data": {"brand": None}}
    inbox_query = sent_by_client("getMessages")["query"]
    assert graphql(api, token, inbox_query).status == 403  # the brand token reads no inbox
    refused = api.handle(
        HttpRequest(
            "POST",
            "/client/q",
            {"Authorization": f"Bearer {token}"},
            json.dumps({"query": inbox_query}).encode(),
        )
    )
    assert refused.status == 400  # an inbox operation is not the brand endpoint's


def test_a_cors_route_added_after_the_first_answer_is_answered_for_browsers_too() -> None:
    from herald.api.http import Context, HttpResponse, Router

    router = Router()
    assert router.cors_methods("/late") == []

    def late(ctx: Context) -> HttpResponse:
        return HttpResponse(200, {})

    router.post("/late", summary="late", tag="Test", answers=(), cors=True)(late)
    assert router.cors_methods("/late") == ["POST"]
