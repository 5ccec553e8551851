"""Courier's ``/profiles/{user_id}/lists``: a user's lists read, joined and left from the
user's side, the same subscriptions the lists API shows."""

from __future__ import annotations

from herald.resources.lists import MAX_LISTS_PER_CALL
from herald.resources.parsing import PAGE_SIZE
from tests.unit.test_api import call, make_api


def test_a_user_joins_lists_that_are_created_as_needed_and_reads_them_back() -> None:
    api, _ = make_api()
    call(api, "PUT", "/lists/news", {"name": "News"})
    body = {
        "lists": [
            {"listId": "news"},
            {"listId": "offers.eu", "preferences": {"notifications": {}}},
        ]
    }
    answer = call(api, "POST", "/profiles/ada/lists", body)
    assert (answer.status, answer.body) == (200, {"status": "SUCCESS"})

    mine = call(api, "GET", "/profiles/ada/lists").body
    assert [(r["id"], r["name"], r["preferences"]) for r in mine["results"]] == [
        ("news", "News", None),
        ("offers.eu", "offers.eu", {"notifications": {}}),
    ]
    assert mine["paging"] == {"cursor": None, "more": False}
    assert all(r["created"] and r["updated"] for r in mine["results"])
    # The same subscriptions, seen from the list.
    subscribers = call(api, "GET", "/lists/offers.eu/subscriptions").body["items"]
    assert [s["recipientId"] for s in subscribers] == ["ada"]
    assert call(api, "GET", "/profiles/bob/lists").body["results"] == []


def test_a_deleted_list_is_not_among_a_user_s_lists() -> None:
    api, _ = make_api()
    call(api, "POST", "/profiles/ada/lists", {"lists": [{"listId": "a"}, {"listId": "b"}]})
    call(api, "DELETE", "/lists/a")
    assert [r["id"] for r in call(api, "GET", "/profiles/ada/lists").body["results"]] == ["b"]


def test_leaving_every_list_keeps_the_lists_and_their_other_subscribers() -> None:
    api, _ = make_api()
    call(api, "POST", "/profiles/ada/lists", {"lists": [{"listId": "a"}, {"listId": "b"}]})
    call(api, "POST", "/profiles/bob/lists", {"lists": [{"listId": "a"}]})
    answer = call(api, "DELETE", "/profiles/ada/lists")
    assert (answer.status, answer.body) == (200, {"status": "SUCCESS"})
    assert call(api, "GET", "/profiles/ada/lists").body["results"] == []
    assert [r["id"] for r in call(api, "GET", "/profiles/bob/lists").body["results"]] == ["a"]
    assert call(api, "GET", "/lists/b").status == 200


def test_a_user_s_lists_are_paged_a_page_of_lists_at_a_time() -> None:
    api, _ = make_api()
    for index in range(PAGE_SIZE + 1):
        call(api, "PUT", f"/lists/l{index:03d}", {"name": f"L{index}"})
    call(api, "POST", "/profiles/ada/lists", {"lists": [{"listId": "l000"}, {"listId": "l100"}]})
    first = call(api, "GET", "/profiles/ada/lists").body
    assert [r["id"] for r in first["results"]] == ["l000"]
    assert first["paging"]["more"] is True
    second = call(api, "GET", "/profiles/ada/lists", cursor=first["paging"]["cursor"]).body
    assert ([r["id"] for r in second["results"]], second["paging"]["more"]) == (["l100"], False)


def test_a_subscribe_call_is_bounded_and_names_what_is_wrong() -> None:
    api, _ = make_api()
    at_limit = {"lists": [{"listId": f"l{i}"} for i in range(MAX_LISTS_PER_CALL)]}
    assert call(api, "POST", "/profiles/ada/lists", at_limit).status == 200
    over = {"lists": [{"listId": f"l{i}"} for i in range(MAX_LISTS_PER_CALL + 1)]}
    for body, field in (
        (over, "lists"),
        ({"lists": []}, "lists"),
        ({"lists": [{"listId": "a/b"}]}, "lists[0].listId"),
        ({"lists": [{"preferences": {}}]}, "lists[0].listId"),
    ):
        answer = call(api, "POST", "/profiles/ada/lists", body)
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, field), body
