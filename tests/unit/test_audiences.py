"""Audiences over in-memory stores: Courier's audiences API, its filter, and a send to
``to.audience_id`` fanned out over the profiles the filter matches."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from herald.domain.audience_filter import (
    MAX_DEPTH,
    MAX_RULES,
    MAX_VALUE_CHARS,
    AudienceFilter,
    matches,
)
from herald.ids import message_id_for
from herald.pipeline import fanout
from herald.resources import audiences
from tests.unit.fakes import Pipeline, settings_with
from tests.unit.test_api import call, make_api
from tests.unit.test_openapi_responses import check

GOLD = {"filters": [{"operator": "EQ", "path": "plan", "value": "gold"}]}


def rule(operator: str, path: str, value: str | None = None) -> dict[str, Any]:
    return {"operator": operator, "path": path, **({"value": value} if value is not None else {})}


def holds(operator: str, path: str, value: str | None, profile: dict[str, Any]) -> bool:
    return matches(
        AudienceFilter.model_validate({"filters": [rule(operator, path, value)]}), profile
    )


def profile(api: Api, user: str, **attributes: Any) -> None:
    body = {"profile": {"email": f"{user}@example.com", **attributes}}
    assert call(api, "POST", f"/profiles/{user}", body).status == 200


@pytest.mark.parametrize(
    ("operator", "value", "attributes", "expected"),
    [
        ("EQ", "gold", {"plan": "gold"}, True),
        ("EQ", "gold", {"plan": "silver"}, False),
        ("EQ", "3", {"plan": 3}, True),
        ("EQ", "true", {"plan": True}, True),
        ("NEQ", "gold", {"plan": "silver"}, True),
        ("NEQ", "gold", {}, True),
        ("NEQ", "gold", {"plan": "gold"}, False),
        ("GT", "10", {"plan": 11}, True),
        ("GT", "10", {"plan": "10"}, False),
        ("GTE", "10", {"plan": "10"}, True),
        ("LT", "10", {"plan": 9.5}, True),
        ("LTE", "10", {"plan": "eleven"}, False),
        ("EXISTS", None, {"plan": "x"}, True),
        ("EXISTS", None, {"plan": None}, False),
        ("OMIT", None, {}, True),
        ("OMIT", None, {"plan": "x"}, False),
        ("INCLUDES", "beta", {"plan": ["alpha", "beta"]}, True),
        ("INCLUDES", "old", {"plan": "gold"}, True),
        ("INCLUDES", "beta", {"plan": ["alpha"]}, False),
        ("STARTS_WITH", "go", {"plan": "gold"}, True),
        ("ENDS_WITH", "go", {"plan": "gold"}, False),
        ("IS_BEFORE", "2026-01-01", {"plan": "2025-12-31T23:00:00Z"}, True),
        ("IS_AFTER", "2026-01-01", {"plan": "2025-12-31"}, False),
        ("IS_AFTER", "2026-01-01", {"plan": "not a date"}, False),
    ],
)
def test_each_courier_operator_compares_the_attribute_with_the_value(
    operator: str, value: str | None, attributes: dict[str, Any], expected: bool
) -> None:
    assert holds(operator, "plan", value, attributes) is expected


def test_paths_reach_into_nested_attributes_and_groups_combine_rules() -> None:
    assert holds(
        "EQ", "company.address.city", "Lisbon", {"company": {"address": {"city": "Lisbon"}}}
    )
    assert not holds("EQ", "company.city", "Lisbon", {"company": "Lisbon"})
    nested = AudienceFilter.model_validate(
        {
            "operator": "AND",
            "filters": [
                rule("EQ", "plan", "gold"),
                {
                    "operator": "OR",
                    "filters": [rule("EQ", "country", "PT"), rule("EQ", "country", "BR")],
                },
            ],
        }
    )
    assert matches(nested, {"plan": "gold", "country": "BR"})
    assert not matches(nested, {"plan": "gold", "country": "US"})
    assert not matches(nested, {"plan": "silver", "country": "PT"})


def test_an_audience_is_put_read_listed_and_deleted_in_courier_shapes() -> None:
    api, _ = make_api()
    created = call(api, "PUT", "/audiences/gold", {"name": "Gold", "filter": GOLD})
    body = check(created, "PUT", "/audiences/{audience_id}")["audience"]
    assert (body["id"], body["name"], body["description"], body["operator"]) == (
        "gold",
        "Gold",
        "",
        "AND",
    )
    # What a PUT does not give stays: Courier's update.
    call(api, "PUT", "/audiences/gold", {"description": "paying"})
    got = check(call(api, "GET", "/audiences/gold"), "GET", "/audiences/{audience_id}")
    assert (got["name"], got["description"], got["filter"]["filters"]) == (
        "Gold",
        "paying",
        GOLD["filters"],
    )
    call(api, "PUT", "/audiences/all", {"filter": {"filters": [rule("EXISTS", "email")]}})
    listed = check(call(api, "GET", "/audiences"), "GET", "/audiences")
    assert [a["id"] for a in listed["items"]] == ["all", "gold"]
    assert listed["paging"] == {"cursor": None, "more": False}
    assert call(api, "DELETE", "/audiences/gold").status == 204
    assert call(api, "GET", "/audiences/gold").status == 404
    assert call(api, "DELETE", "/audiences/gold").status == 404


def test_members_are_the_profiles_the_filter_matches_now() -> None:
    api, _ = make_api()
    profile(api, "ada", plan="gold")
    profile(api, "bob", plan="silver")
    profile(api, "cy", plan="gold")
    call(api, "PUT", "/audiences/gold", {"name": "Gold", "filter": GOLD})
    members = check(
        call(api, "GET", "/audiences/gold/members"), "GET", "/audiences/{audience_id}/members"
    )
    assert [m["member_id"] for m in members["items"]] == ["ada", "cy"]
    assert {m["audience_version"] for m in members["items"]} == {1}
    assert members["paging"]["more"] is False
    profile(api, "bob", plan="gold")
    again = call(api, "GET", "/audiences/gold/members").body
    assert [m["member_id"] for m in again["items"]] == ["ada", "bob", "cy"]
    assert call(api, "GET", "/audiences/nope/members").status == 404


def test_a_members_page_reads_a_bounded_number_of_profiles_and_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audiences, "MAX_SCANNED_PROFILES", 3)
    monkeypatch.setattr(audiences, "SCAN_PAGE", 2)
    api, _ = make_api()
    for n in range(7):
        profile(api, f"u{n}", plan="gold" if n in (1, 5) else "silver")
    call(api, "PUT", "/audiences/gold", {"filter": GOLD})
    pages, cursor = [], None
    for _ in range(5):
        page = call(api, "GET", "/audiences/gold/members", **({"cursor": cursor} if cursor else {}))
        pages.append([m["member_id"] for m in page.body["items"]])
        cursor = page.body["paging"]["cursor"]
        if not page.body["paging"]["more"]:
            break
    # u0-u2, u3-u5, u6: three profiles a page, a page short of members still has more.
    assert pages == [["u1"], ["u5"], []]


def test_another_workspaces_audience_is_a_404() -> None:
    api, _ = make_api()
    call(api, "PUT", "/audiences/gold", {"filter": GOLD})
    other = "other-key"
    assert call(api, "GET", "/audiences/gold", key=other).status == 404
    assert call(api, "GET", "/audiences/gold/members", key=other).status == 404
    assert call(api, "DELETE", "/audiences/gold", key=other).status == 404
    assert call(api, "GET", "/audiences", key=other).body["items"] == []
    assert call(api, "GET", "/audiences/gold").status == 200


def deep(levels: int) -> dict[str, Any]:
    """A filter nesting ``levels`` levels of groups (the filter's own list is the first)."""
    inner: dict[str, Any] = rule("EQ", "plan", "gold")
    for _ in range(levels - 1):
        inner = {"operator": "AND", "filters": [inner]}
    return {"filters": [inner]}


def refused_field(api: Api, body: dict[str, Any]) -> str:
    refused = call(api, "PUT", "/audiences/a", body)
    assert refused.status == 400, refused.body
    return str(refused.body["errors"][0]["field"])


def test_filters_are_checked_and_bounded_each_bound_at_its_limit() -> None:
    api, _ = make_api()
    assert refused_field(api, {"name": "no filter"}) == "filter"
    assert refused_field(api, {"filter": {"filters": [rule("LIKE", "plan", "x")]}}) == (
        "filter.filters[0].operator"
    )
    assert refused_field(api, {"filter": {"filters": [rule("EQ", "plan")]}}) == "filter.filters[0]"
    assert refused_field(api, {"filter": {"filters": [rule("GT", "age", "old")]}}) == (
        "filter.filters[0]"
    )
    assert refused_field(api, {"filter": {"filters": [rule("IS_AFTER", "d", "soon")]}}) == (
        "filter.filters[0]"
    )
    two = {"filters": [rule("EQ", "a", "1"), rule("EQ", "b", "2")]}
    assert refused_field(api, {"filter": two}) == "filter.operator"
    assert call(api, "PUT", "/audiences/a", {"filter": two, "operator": "OR"}).status == 200
    assert call(api, "PUT", "/audiences/a", {"filter": deep(MAX_DEPTH)}).status == 200
    assert refused_field(api, {"filter": deep(MAX_DEPTH + 1)}) == "filter"
    many = [rule("EQ", "a", str(n)) for n in range(MAX_RULES)]
    assert (
        call(api, "PUT", "/audiences/a", {"filter": {"filters": many, "operator": "OR"}}).status
        == 200
    )
    grouped = {"filters": [{"operator": "OR", "filters": many}], "operator": "OR"}
    assert refused_field(api, {"filter": grouped}) == "filter"  # 51 rules, all levels
    at_limit = {"filters": [rule("EQ", "a", "v" * MAX_VALUE_CHARS)]}
    assert call(api, "PUT", "/audiences/a", {"filter": at_limit}).status == 200
    over = {"filters": [rule("EQ", "a", "v" * (MAX_VALUE_CHARS + 1))]}
    assert refused_field(api, {"filter": over}) == "filter.filters[0].value"
    assert refused_field(api, {"filter": {"filters": [rule("EQ", "a..b", "v")]}}) == (
        "filter.filters[0].path"
    )


def send(api: Api, to: Any, pipeline: Pipeline) -> dict[str, Any]:
    response = call(
        api,
        "POST",
        "/send",
        {"message": {"to": to, "content": {"title": "Hi {{plan}}", "body": "b"}}},
    )
    assert response.status == 202, response.body
    pipeline.drain()
    return dict(call(api, "GET", f"/messages/{response.body['requestId']}").body)


def test_to_audience_id_sends_to_each_matching_profile() -> None:
    api, pipeline = make_api()
    profile(api, "ada", plan="gold")
    profile(api, "bob", plan="silver")
    profile(api, "cy", plan="gold")
    call(api, "PUT", "/audiences/gold", {"filter": GOLD})
    record = send(api, {"audience_id": "gold", "data": {"plan": "gold"}}, pipeline)
    assert (record["status"], record["recipient"]) == ("FANNED_OUT", "audience:gold")
    sent = sorted((d.recipient["email"], d.rendered["subject"]) for d in pipeline.email.sent)
    assert sent == [("ada@example.com", "Hi gold"), ("cy@example.com", "Hi gold")]


def test_an_audience_send_pages_through_profiles_resumably(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "AUDIENCE_SCAN", 2)
    monkeypatch.setattr(audiences, "SCAN_PAGE", 2)
    api, pipeline = make_api()
    for n in range(5):
        profile(api, f"u{n}", plan="gold" if n != 2 else "silver")
    call(api, "PUT", "/audiences/gold", {"filter": GOLD})
    record = send(api, {"audience_id": "gold"}, pipeline)
    assert record["status"] == "FANNED_OUT"
    assert sorted(d.recipient["email"] for d in pipeline.email.sent) == [
        f"u{n}@example.com" for n in (0, 1, 3, 4)
    ]
    # Two profiles a step: u0-u1, u2-u3, u4; each step waited for the record's last write.
    assert len(pipeline.fanout_waits) >= 2


def test_an_audience_changed_during_its_send_is_sent_as_it_was_when_it_began(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "AUDIENCE_SCAN", 1)
    monkeypatch.setattr(audiences, "SCAN_PAGE", 1)
    api, pipeline = make_api()
    profile(api, "ada", plan="gold")
    profile(api, "bob", plan="gold")
    call(api, "PUT", "/audiences/gold", {"filter": GOLD})
    nobody = {"filter": {"filters": [rule("EQ", "plan", "none")]}}

    # Between its first and second step, the audience is changed to match no one.
    def change_the_audience(_: float) -> None:
        call(api, "PUT", "/audiences/gold", nobody)

    pipeline.render.fanouts.sleep = change_the_audience
    record = send(api, {"audience_id": "gold"}, pipeline)
    assert record["status"] == "FANNED_OUT"
    assert sorted(d.recipient["email"] for d in pipeline.email.sent) == [
        "ada@example.com",
        "bob@example.com",
    ]


def test_a_missing_audience_ends_the_send_undeliverable() -> None:
    api, pipeline = make_api()
    record = send(api, {"audience_id": "nope"}, pipeline)
    assert record["status"] == "UNDELIVERABLE"
    assert "audience nope does not exist" in record["error"]


def test_an_audience_recipient_takes_nothing_else() -> None:
    api, _ = make_api()
    for extra in ({"user_id": "ada"}, {"email": "a@example.com"}, {"list_id": "l"}):
        to = {"audience_id": "gold", **extra}
        refused = call(api, "POST", "/send", {"message": {"to": to, "content": {"body": "x"}}})
        assert (refused.status, refused.body["errors"][0]["field"]) == (400, "message.to")
    twice = [{"audience_id": "gold"}, {"audience_id": "gold", "data": {"v": 1}}]
    again = call(api, "POST", "/send", {"message": {"to": twice, "content": {"body": "x"}}})
    assert again.body["errors"][0]["field"] == "message.to[1].audience_id"


def test_an_audience_send_stops_at_the_requests_message_cap() -> None:
    api, pipeline = make_api(settings_with(max_messages_per_request=3))
    for n in range(5):
        profile(api, f"u{n}", plan="gold")
    call(api, "PUT", "/audiences/gold", {"filter": GOLD})
    to = [{"audience_id": "gold"}, {"email": "direct@example.com"}]
    response = call(api, "POST", "/send", {"message": {"to": to, "content": {"body": "b"}}})
    assert response.status == 202
    pipeline.drain()
    sent = sorted(d.recipient["email"] for d in pipeline.email.sent)
    assert sent == ["direct@example.com", "u0@example.com", "u1@example.com"]
    listed = call(api, "GET", "/messages", requestId=response.body["requestId"]).body["results"]
    assert len(listed) == 3  # the fan-out's own record is not a message to someone
    fanout_id = message_id_for(response.body["requestId"], {"audience_id": "gold"})
    record = call(api, "GET", f"/messages/{fanout_id}").body
    assert record["status"] == "FANNED_OUT"
    assert "profiles after u1 were not sent to" in record["error"]
