"""Courier's ``PUT /requests/{request_id}/archive``: an archived request's messages leave
the default message list, and come back with ``archived=true``."""

from __future__ import annotations

from herald.api.http import Api
from herald.resources.messages import ARCHIVED_REQUESTS, MAX_READS_PER_PAGE
from tests.unit.test_api import call, make_api
from tests.unit.test_messages_api import put_summary


def send(api: Api, to: str) -> str:
    body = {"message": {"to": {"email": to}, "content": {"title": "T", "body": "B"}}}
    return str(call(api, "POST", "/send", body).body["requestId"])


def listed(api: Api, **query: str) -> list[str]:
    answer = call(api, "GET", "/messages", **query)
    assert answer.status == 200, answer.body
    return [m["requestId"] for m in answer.body["results"]]


def test_an_archived_request_leaves_the_default_list_and_stays_readable() -> None:
    api, pipeline = make_api()
    kept, archived = send(api, "ada@example.com"), send(api, "bob@example.com")
    pipeline.drain()
    assert sorted(listed(api)) == sorted([kept, archived])

    answer = call(api, "PUT", f"/requests/{archived}/archive")
    assert (answer.status, answer.body) == (204, None)

    assert listed(api) == [kept]
    assert listed(api, archived="false") == [kept]
    assert sorted(listed(api, archived="true")) == sorted([kept, archived])
    assert listed(api, recipient="bob@example.com") == []
    assert call(api, "GET", f"/messages/{archived}").body["status"] == "SENT"
    assert call(api, "GET", f"/requests/{archived}").status == 200
    # Archiving twice is archiving once.
    assert call(api, "PUT", f"/requests/{archived}/archive").status == 204
    assert listed(api) == [kept]


def test_a_request_archived_before_its_messages_are_logged_is_left_out_when_they_are() -> None:
    api, pipeline = make_api()
    request_id = send(api, "ada@example.com")
    assert call(api, "PUT", f"/requests/{request_id}/archive").status == 204
    pipeline.drain()
    assert listed(api) == []
    assert listed(api, archived="true") == [request_id]


def test_a_list_send_archived_leaves_out_every_recipient_s_message() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/lists/news/subscriptions", {"recipients": [{"recipientId": "ada"}]})
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    body = {"message": {"to": {"list_id": "news"}, "content": {"title": "T", "body": "B"}}}
    request_id = call(api, "POST", "/send", body).body["requestId"]
    assert call(api, "PUT", f"/requests/{request_id}/archive").status == 204
    pipeline.drain()
    assert listed(api, archived="true") != []
    assert listed(api) == []


def test_pages_skip_archived_messages_and_page_on_from_where_they_stopped() -> None:
    api, pipeline = make_api()
    archived = [send(api, f"a{i}@example.com") for i in range(3)]
    kept = [send(api, f"k{i}@example.com") for i in range(3)]
    pipeline.drain()
    for request_id in archived:
        call(api, "PUT", f"/requests/{request_id}/archive")

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = call(api, "GET", "/messages", **query).body
        seen += [m["requestId"] for m in page["results"]]
        if not page["paging"]["more"]:
            break
        cursor = page["paging"]["cursor"]
    assert sorted(seen) == sorted(kept)


def test_a_page_reads_a_bounded_number_of_times_past_archived_messages() -> None:
    api, pipeline = make_api()
    # Distinct times, newest first: the kept message, then the archived ones.
    put_summary(pipeline, "kept", 10_000)
    for index in range(MAX_READS_PER_PAGE + 1):
        put_summary(pipeline, f"old{index}", 9_000 - index)
        pipeline.documents.put("ws1", (*ARCHIVED_REQUESTS, f"r-old{index}"), {"archived_ms": 1})
    # A page of one: the kept message, then reads of one each past the archived ones,
    # stopping after MAX_READS_PER_PAGE with more still to read.
    first = call(api, "GET", "/messages", limit="1").body
    assert [m["id"] for m in first["results"]] == ["kept"]
    second = call(api, "GET", "/messages", limit="1", cursor=first["paging"]["cursor"]).body
    assert (second["results"], second["paging"]["more"]) == ([], True)
    third = call(api, "GET", "/messages", limit="1", cursor=second["paging"]["cursor"]).body
    assert (third["results"], third["paging"]["more"]) == ([], False)


def test_archiving_what_is_not_a_request_of_the_workspace_is_a_404() -> None:
    api, _ = make_api()
    assert call(api, "PUT", "/requests/no-such-request/archive").status == 404
    request_id = send(api, "ada@example.com")
    assert call(api, "PUT", f"/requests/{request_id}/archive", key="other-key").status == 404


def test_archived_takes_true_or_false_only() -> None:
    api, _ = make_api()
    answer = call(api, "GET", "/messages", archived="yes")
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "archived")
