"""A user's device tokens: Courier's tokens API, and the push channel's use of them."""

from __future__ import annotations

from herald.api.http import Api
from herald.domain.message import MessageState
from herald.errors import PermanentProviderError
from herald.pipeline.resolving import ContextResolver
from herald.resources.tokens import (
    INDEXED,
    MAX_TOKENS_PER_USER,
    TokenService,
    indexed_tokens,
    token_index_path,
    tokens_collection,
    usable_push_token,
)
from herald.store.documents import DocPath, Document, InMemoryDocuments
from tests.unit.fakes import FakeProvider, Pipeline
from tests.unit.test_api import call, make_api
from tests.unit.test_openapi_responses import check

FCM = {"provider_key": "firebase-fcm", "device": {"platform": "android"}}
PUSH = {
    "content": {"title": "Hi", "body": "b"},
    "routing": {"method": "single", "channels": ["push"]},
}


def with_push(
    fail_with: PermanentProviderError | None = None,
) -> tuple[Api, Pipeline, FakeProvider]:
    api, pipeline = make_api()
    push = FakeProvider("fake-fcm", "push", fail_with=fail_with)
    pipeline.extra.append(push)
    pipeline.restart()
    return api, pipeline, push


def test_a_token_is_registered_read_listed_and_deleted() -> None:
    api, _ = make_api()
    assert call(api, "PUT", "/users/ada/tokens/tok-1", FCM).status == 204
    got = check(
        call(api, "GET", "/users/ada/tokens/tok-1"), "GET", "/users/{user_id}/tokens/{token}"
    )
    assert (got["token"], got["provider_key"], got["status"]) == ("tok-1", "firebase-fcm", "active")
    assert got["device"] == {"platform": "android"}
    bulk = [{"token": "tok-2", "provider_key": "apn"}, {"token": "tok-3", "provider_key": "expo"}]
    assert call(api, "PUT", "/users/ada/tokens", bulk).status == 204
    assert (
        call(
            api, "PUT", "/users/ada/tokens", {"tokens": [{"token": "tok-4", "provider_key": "apn"}]}
        ).status
        == 204
    )
    listed = check(call(api, "GET", "/users/ada/tokens"), "GET", "/users/{user_id}/tokens")
    assert [t["token"] for t in listed["tokens"]] == ["tok-1", "tok-2", "tok-3", "tok-4"]
    assert call(api, "DELETE", "/users/ada/tokens/tok-1").status == 204
    assert call(api, "DELETE", "/users/ada/tokens/tok-1").status == 404
    assert call(api, "GET", "/users/ada/tokens/tok-1").status == 404


def test_tokens_are_scoped_to_the_workspace() -> None:
    api, _ = make_api()
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    assert call(api, "GET", "/users/ada/tokens/tok-1", key="other-key").status == 404
    assert call(api, "GET", "/users/ada/tokens", key="other-key").body == {"tokens": []}
    assert call(api, "DELETE", "/users/ada/tokens/tok-1", key="other-key").status == 404


def test_token_bodies_are_checked_by_field() -> None:
    api, _ = make_api()
    cases = {
        "provider_key": {"provider_key": "carrier-pigeon"},
        "expiry_date": {**FCM, "expiry_date": "next tuesday"},
        "token": {**FCM, "token": "another"},
    }
    for field, body in cases.items():
        refused = call(api, "PUT", "/users/ada/tokens/tok-1", body)
        assert (refused.status, refused.body["errors"][0]["field"]) == (400, field), field
    true_expiry = call(api, "PUT", "/users/ada/tokens/tok-1", {**FCM, "expiry_date": True})
    assert true_expiry.body["errors"][0]["field"] == "expiry_date"
    for fine in ("2030-10-25T00:00:00.000Z", False):
        assert (
            call(api, "PUT", "/users/ada/tokens/tok-1", {**FCM, "expiry_date": fine}).status == 204
        )
    twice = [{"token": "a", "provider_key": "apn"}, {"token": "a", "provider_key": "apn"}]
    assert call(api, "PUT", "/users/ada/tokens", twice).body["errors"][0]["field"] == "tokens"
    assert call(api, "PUT", "/users/ada/tokens/" + "t" * 257, FCM).status == 404  # no such route


def test_a_user_holds_at_most_a_bounded_number_of_tokens() -> None:
    api, _ = make_api()
    tokens = [{"token": f"t{n:03}", "provider_key": "apn"} for n in range(MAX_TOKENS_PER_USER)]
    assert call(api, "PUT", "/users/ada/tokens", tokens).status == 204
    assert call(api, "PUT", "/users/ada/tokens/t000", FCM).status == 204  # one held, again
    refused = call(api, "PUT", "/users/ada/tokens/one-more", FCM)
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "token")
    over = [*tokens, {"token": "x", "provider_key": "apn"}]
    assert call(api, "PUT", "/users/bob/tokens", over).body["errors"][0]["field"] == "tokens"


def test_push_to_a_user_without_a_profile_token_uses_their_active_fcm_token() -> None:
    api, pipeline, push = with_push()
    call(api, "PUT", "/users/ada/tokens/apn-tok", {"provider_key": "apn"})
    call(api, "PUT", "/users/ada/tokens/expired", {**FCM, "expiry_date": "2001-01-01T00:00:00Z"})
    call(api, "PUT", "/users/ada/tokens/fcm-tok", FCM)
    call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert [d.recipient["firebaseToken"] for d in push.sent] == ["fcm-tok"]


def test_the_newest_usable_token_is_chosen() -> None:
    fcm = {"provider_key": "firebase-fcm", "status": "active", "expires_ms": None}
    tokens = [
        ("a", {**fcm, "updated_ms": 1}),
        ("b", {**fcm, "updated_ms": 3}),
        ("c", {**fcm, "updated_ms": 5, "status": "failed"}),
        ("d", {**fcm, "updated_ms": 7, "expires_ms": 10}),
        ("e", {**fcm, "updated_ms": 9, "provider_key": "apn"}),
    ]
    assert usable_push_token(tokens, at=20) == "b"
    assert usable_push_token(tokens, at=9) == "d"  # not expired yet
    assert usable_push_token(tokens[2:3], at=0) is None


def test_a_profile_token_wins_over_a_registered_one() -> None:
    api, pipeline, push = with_push()
    call(api, "POST", "/profiles/ada", {"profile": {"firebaseToken": "profile-tok"}})
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert [d.recipient["firebaseToken"] for d in push.sent] == ["profile-tok"]


def test_a_token_fcm_reports_unregistered_is_marked_and_not_used_again() -> None:
    unregistered = PermanentProviderError("UNREGISTERED: gone", "fake-fcm", "UNREGISTERED")
    api, pipeline, push = with_push(fail_with=unregistered)
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    first = call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert push.calls == 1
    status = call(api, "GET", f"/messages/{first.body['requestId']}").body["status"]
    assert status == "UNDELIVERABLE"
    token = call(api, "GET", "/users/ada/tokens/tok-1").body
    assert token["status"] == "failed" and "UNREGISTERED" in token["status_reason"]
    again = call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert push.calls == 1  # no token left to use: unroutable, FCM not called
    assert call(api, "GET", f"/messages/{again.body['requestId']}").body["status"] == "UNROUTABLE"
    # Registered anew by the app, it is used again.
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    assert call(api, "GET", "/users/ada/tokens/tok-1").body["status"] == "active"


def test_another_provider_error_leaves_the_token_active() -> None:
    rejected = PermanentProviderError("INVALID_ARGUMENT: bad", "fake-fcm", "INVALID_ARGUMENT")
    api, pipeline, _ = with_push(fail_with=rejected)
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert call(api, "GET", "/users/ada/tokens/tok-1").body["status"] == "active"


def test_a_token_is_patched_all_or_none_and_keeps_its_status() -> None:
    api, pipeline = make_api()
    assert call(api, "PUT", "/users/ada/tokens/tok-1", FCM).status == 204
    pipeline.documents.update(
        "ws1",
        ("users", "ada", "tokens", "tok-1"),
        lambda current: {**(current or {}), "status": "failed", "status_reason": "UNREGISTERED"},
    )
    patch = [
        {"op": "replace", "path": "/device/platform", "value": "ios"},
        {"op": "add", "path": "/expiry_date", "value": False},
        {"op": "add", "path": "/properties", "value": {"app": "shop"}},
    ]
    assert call(api, "PATCH", "/users/ada/tokens/tok-1", {"patch": patch}).status == 204
    got = call(api, "GET", "/users/ada/tokens/tok-1").body
    assert (got["device"], got["expiry_date"], got["properties"]) == (
        {"platform": "ios"},
        False,
        {"app": "shop"},
    )
    assert (got["status"], got["status_reason"]) == ("failed", "UNREGISTERED")
    # One operation that cannot apply, or a result a PUT would refuse: nothing changes.
    failing = [
        {"op": "replace", "path": "/device/platform", "value": "web"},
        {"op": "remove", "path": "/nope"},
    ]
    refused = call(api, "PATCH", "/users/ada/tokens/tok-1", {"patch": failing})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "patch[1]")
    bad_key = [{"op": "replace", "path": "/provider_key", "value": "pigeon"}]
    refused = call(api, "PATCH", "/users/ada/tokens/tok-1", {"patch": bad_key})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "provider_key")
    status = [{"op": "add", "path": "/status", "value": "active"}]
    refused = call(api, "PATCH", "/users/ada/tokens/tok-1", {"patch": status})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "status")
    assert call(api, "GET", "/users/ada/tokens/tok-1").body["device"] == {"platform": "ios"}
    missing = call(api, "PATCH", "/users/ada/tokens/nope", {"patch": patch})
    assert missing.status == 404
    assert (
        call(api, "PATCH", "/users/ada/tokens/tok-1", {"patch": patch}, key="other-key").status
        == 404
    )


def _index_matches_tokens(pipeline: Pipeline, user_id: str) -> list[tuple[str, str]]:
    """Asserts the user's index holds what their tokens say; returns (token, status)."""
    index = pipeline.documents.get("ws1", token_index_path(user_id))
    stored = pipeline.documents.page("ws1", tokens_collection(user_id), None, 1000)
    assert indexed_tokens(index) == [
        (token, {"token": token, **{k: doc.get(k) for k in INDEXED}}) for token, doc in stored
    ]
    return [(token, entry["status"]) for token, entry in indexed_tokens(index)]


def test_every_change_to_a_token_changes_the_index_with_it() -> None:
    api, pipeline = make_api()
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    call(api, "PUT", "/users/ada/tokens", [{"token": "tok-2", "provider_key": "apn"}])
    assert _index_matches_tokens(pipeline, "ada") == [("tok-1", "active"), ("tok-2", "active")]
    expiry = [{"op": "add", "path": "/expiry_date", "value": "2001-01-01T00:00:00Z"}]
    assert call(api, "PATCH", "/users/ada/tokens/tok-2", {"patch": expiry}).status == 204
    _index_matches_tokens(pipeline, "ada")
    TokenService(pipeline.documents).mark_failed("ws1", "ada", "tok-1", "UNREGISTERED")
    assert _index_matches_tokens(pipeline, "ada") == [("tok-1", "failed"), ("tok-2", "active")]
    assert call(api, "DELETE", "/users/ada/tokens/tok-1").status == 204
    assert _index_matches_tokens(pipeline, "ada") == [("tok-2", "active")]
    # A token that is not there changes nothing, index included.
    assert call(api, "DELETE", "/users/bob/tokens/nope").status == 404
    TokenService(pipeline.documents).mark_failed("ws1", "bob", "nope", "UNREGISTERED")
    assert pipeline.documents.get("ws1", token_index_path("bob")) is None


def test_a_deleted_token_is_not_pushed_to() -> None:
    api, pipeline, push = with_push()
    call(api, "PUT", "/users/ada/tokens/tok-1", FCM)
    call(api, "DELETE", "/users/ada/tokens/tok-1")
    sent = call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert push.sent == []
    assert call(api, "GET", f"/messages/{sent.body['requestId']}").body["status"] == "UNROUTABLE"


class _CountingPages(InMemoryDocuments):
    def __init__(self) -> None:
        super().__init__()
        self.pages: list[DocPath] = []

    def page(
        self, workspace: str, collection: DocPath, after: str | None, limit: int
    ) -> list[tuple[str, Document]]:
        self.pages.append(collection)
        return super().page(workspace, collection, after, limit)


def test_the_render_stage_reads_a_users_tokens_with_their_profile_not_by_a_query() -> None:
    documents = _CountingPages()
    TokenService(documents).put("ws1", "ada", "tok-1", FCM)
    message = MessageState.model_validate(
        {
            "id": "m1",
            "workspace": "ws1",
            "request_id": "r1",
            "status": "ENQUEUED",
            "recipient": {"user_id": "ada"},
            "enqueued_ms": 1,
            "content": {"title": "t", "body": "b"},
        }
    )
    context = ContextResolver(documents).resolve(message)
    assert context.recipient["firebaseToken"] == "tok-1"
    assert documents.pages == []


def test_tokens_stored_before_the_index_are_found_once_it_is_rebuilt() -> None:
    api, pipeline, push = with_push()
    before_index = {"provider_key": "firebase-fcm", "status": "active", "updated_ms": 1}
    for token in ("old-1", "old-2"):
        pipeline.documents.put("ws1", (*tokens_collection("ada"), token), before_index)
    call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert push.sent == []  # not in the index yet
    tokens = TokenService(pipeline.documents)
    tokens.put("ws1", "ada", "new", FCM)  # in the index already: kept by the rebuild
    assert tokens.rebuild_index("ws1", "ada") == 3
    assert tokens.rebuild_index("ws1", "ada") == 3  # again: the same
    assert [token for token, _ in _index_matches_tokens(pipeline, "ada")] == [
        "new",
        "old-1",
        "old-2",
    ]
    call(api, "POST", "/send", {"message": {**PUSH, "to": {"user_id": "ada"}}})
    pipeline.drain()
    assert [d.recipient["firebaseToken"] for d in push.sent] == ["new"]  # the newest
