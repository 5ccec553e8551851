"""Profiles, lists and preferences through the HTTP layer, in Courier's shapes."""

from tests.unit.test_api import call, make_api


def test_a_profile_is_merged_replaced_read_and_deleted() -> None:
    api, _ = make_api()
    assert call(api, "GET", "/profiles/ada").status == 404
    created = call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com", "a": 1}})
    assert (created.status, created.body) == (200, {"status": "SUCCESS"})
    call(api, "POST", "/profiles/ada", {"profile": {"phone_number": "+14155550100", "a": 2}})
    merged = call(api, "GET", "/profiles/ada").body["profile"]
    assert merged == {"email": "ada@example.com", "phone_number": "+14155550100", "a": 2}
    call(api, "PUT", "/profiles/ada", {"profile": {"email": "ada@new.example"}})
    assert call(api, "GET", "/profiles/ada").body["profile"] == {"email": "ada@new.example"}
    assert call(api, "DELETE", "/profiles/ada").status == 204
    assert call(api, "GET", "/profiles/ada").status == 404


def test_user_ids_with_courier_characters_are_accepted_and_reserved_names_are_not() -> None:
    api, _ = make_api()
    for user_id in ("auth0|5f1c", "ada@example.com", "user.42", "a:b+c"):
        assert call(api, "POST", f"/profiles/{user_id}", {"profile": {"x": 1}}).status == 200
        assert call(api, "GET", f"/profiles/{user_id}").body["profile"] == {"x": 1}
    for reserved in ("__x__", ".", ".."):
        assert call(api, "GET", f"/profiles/{reserved}").status == 404


def test_a_profile_must_be_an_object_of_storable_values() -> None:
    api, _ = make_api()
    bad = call(api, "POST", "/profiles/ada", {"profile": "ada@example.com"})
    assert bad.status == 400
    assert bad.body["errors"][0]["field"] == "profile"
    nested = call(api, "POST", "/profiles/ada", {"profile": {"x": [[1]]}})
    assert nested.status == 400
    unknown = call(api, "POST", "/profiles/ada", {"profile": {}, "extra": 1})
    assert unknown.body["errors"][0] == {"field": "extra", "reason": "is not a known field"}


def test_profiles_are_scoped_to_the_workspace_of_the_key() -> None:
    api, _ = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    assert call(api, "GET", "/profiles/ada", key="other-key").status == 404


def test_lists_are_created_read_found_by_pattern_deleted_and_restored() -> None:
    api, _ = make_api()
    for list_id in ("news.weekly", "news.daily", "ops.alerts"):
        assert call(api, "PUT", f"/lists/{list_id}", {"name": list_id.upper()}).status == 204
    got = call(api, "GET", "/lists/news.weekly").body
    assert (got["id"], got["name"]) == ("news.weekly", "NEWS.WEEKLY")
    assert got["created"].endswith("Z")
    found = call(api, "GET", "/lists", pattern="news.*").body
    assert [item["id"] for item in found["items"]] == ["news.daily", "news.weekly"]
    assert found["paging"] == {"cursor": None, "more": False}
    assert call(api, "DELETE", "/lists/ops.alerts").status == 204
    assert call(api, "GET", "/lists/ops.alerts").status == 404
    assert [i["id"] for i in call(api, "GET", "/lists").body["items"]] == [
        "news.daily",
        "news.weekly",
    ]
    assert call(api, "PUT", "/lists/ops.alerts/restore").status == 204
    assert call(api, "GET", "/lists/ops.alerts").status == 200
    assert call(api, "PUT", "/lists/x", {"name": ""}).status == 400


def test_subscriptions_are_added_replaced_and_removed() -> None:
    api, _ = make_api()
    added = call(
        api,
        "POST",
        "/lists/beta/subscriptions",
        {"recipients": [{"recipientId": "ada"}, {"recipientId": "bob"}]},
    )
    assert added.status == 204  # subscribing creates the list
    assert call(api, "PUT", "/lists/beta/subscriptions/cy").status == 204

    def subscribers() -> list[str]:
        body = call(api, "GET", "/lists/beta/subscriptions").body
        return [item["recipientId"] for item in body["items"]]

    assert subscribers() == ["ada", "bob", "cy"]
    call(api, "PUT", "/lists/beta/subscriptions", {"recipients": [{"recipientId": "bob"}]})
    assert subscribers() == ["bob"]
    assert call(api, "DELETE", "/lists/beta/subscriptions/bob").status == 204
    assert subscribers() == []
    assert call(api, "DELETE", "/lists/beta/subscriptions/bob").status == 404
    missing = call(api, "POST", "/lists/beta/subscriptions", {"recipients": [{"id": "x"}]})
    assert missing.status == 400
    assert missing.body["errors"][0]["field"] == "recipients[0].recipientId"


def test_subscriptions_page_with_a_cursor() -> None:
    api, _ = make_api()
    recipients = [{"recipientId": f"user-{n:03d}"} for n in range(150)]
    call(api, "POST", "/lists/big/subscriptions", {"recipients": recipients})
    first = call(api, "GET", "/lists/big/subscriptions").body
    assert len(first["items"]) == 100
    assert first["paging"]["more"] is True
    second = call(api, "GET", "/lists/big/subscriptions", cursor=first["paging"]["cursor"]).body
    assert len(second["items"]) == 50
    assert second["paging"] == {"cursor": None, "more": False}
    seen = [i["recipientId"] for i in first["items"] + second["items"]]
    assert seen == [r["recipientId"] for r in recipients]


def test_preferences_follow_topic_defaults_and_user_choices() -> None:
    api, _ = make_api()
    call(api, "PUT", "/preferences/topics/digest", {"topic_name": "Weekly digest"})
    call(
        api,
        "PUT",
        "/preferences/topics/security",
        {"topic_name": "Security", "default_status": "REQUIRED"},
    )
    before = call(api, "GET", "/users/ada/preferences/digest").body["topic"]
    assert (before["status"], before["default_status"]) == ("OPTED_IN", "OPTED_IN")
    put = call(
        api,
        "PUT",
        "/users/ada/preferences/digest",
        {"topic": {"status": "OPTED_OUT"}},
    )
    assert (put.status, put.body) == (200, {"message": "success"})
    after = call(api, "GET", "/users/ada/preferences/digest").body["topic"]
    assert (after["status"], after["topic_name"]) == ("OPTED_OUT", "Weekly digest")
    refused = call(
        api, "PUT", "/users/ada/preferences/security", {"topic": {"status": "OPTED_OUT"}}
    )
    assert refused.status == 400
    assert "REQUIRED" in refused.body["errors"][0]["reason"]
    routed = call(
        api,
        "PUT",
        "/users/ada/preferences/security",
        {"topic": {"status": "OPTED_IN", "has_custom_routing": True, "custom_routing": ["sms"]}},
    )
    assert routed.status == 200
    listed = call(api, "GET", "/users/ada/preferences").body["items"]
    assert [(t["topic_id"], t["status"]) for t in listed] == [
        ("digest", "OPTED_OUT"),
        ("security", "REQUIRED"),
    ]
    assert listed[1]["custom_routing"] == ["sms"]
    assert call(api, "DELETE", "/users/ada/preferences/digest").status == 204
    assert call(api, "GET", "/users/ada/preferences/digest").body["topic"]["status"] == "OPTED_IN"
    bad = call(api, "PUT", "/users/ada/preferences/digest", {"topic": {"status": "MAYBE"}})
    assert bad.body["errors"][0]["field"] == "topic.status"


def test_public_routes_skip_the_key_and_answer_raw_bytes() -> None:
    from herald.api.http import Api, Context, HttpResponse, Router
    from tests.unit.fakes import Pipeline

    router = Router()

    @router.get("/pixel/{token}", summary="Pixel", tag="Test", answers=(), public=True)
    def pixel(ctx: Context) -> HttpResponse:
        return HttpResponse(
            200, None, {"content-type": "image/gif"}, raw=ctx.params["token"].encode()
        )

    @router.get("/private", summary="Private", tag="Test", answers=())
    def private(ctx: Context) -> HttpResponse:
        return HttpResponse(200, {"workspace": ctx.workspace})

    pipeline = Pipeline()
    api = Api(router, pipeline.keys, pipeline.services)
    answered = call(api, "GET", "/pixel/abc", key=None)
    assert (answered.status, answered.raw, answered.headers) == (
        200,
        b"abc",
        {"content-type": "image/gif"},
    )
    assert call(api, "GET", "/private", key=None).status == 401
