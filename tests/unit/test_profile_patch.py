"""Courier's ``PATCH /profiles/{user_id}``: RFC 6902 operations on the stored profile, all
or none, each checked as a stored profile is."""

from __future__ import annotations

from typing import Any

import pytest

from herald.domain.audience import PROFILE_MAX_BYTES
from tests.unit.test_api import call, make_api


def patch(api: Any, *operations: dict[str, Any], user: str = "ada") -> Any:
    return call(api, "PATCH", f"/profiles/{user}", {"patch": list(operations)})


def profile(api: Any) -> dict[str, Any]:
    return dict(call(api, "GET", "/profiles/ada").body["profile"])


def test_operations_apply_in_order_to_the_stored_profile() -> None:
    api, _ = make_api()
    call(api, "PUT", "/profiles/ada", {"profile": {"email": "ada@example.com", "name": "Ada"}})
    answer = patch(
        api,
        {"op": "replace", "path": "/email", "value": "ada@lovelace.example"},
        {"op": "add", "path": "/address", "value": {"city": "London"}},
        {"op": "copy", "from": "/name", "path": "/nickname"},
        {"op": "move", "from": "/address/city", "path": "/city"},
        {"op": "remove", "path": "/address"},
        {"op": "test", "path": "/city", "value": "London"},
    )
    assert answer.status == 204, answer.body
    assert profile(api) == {
        "email": "ada@lovelace.example",
        "name": "Ada",
        "nickname": "Ada",
        "city": "London",
    }


@pytest.mark.parametrize(
    ("operations", "field"),
    [
        ([{"op": "replace", "path": "/missing", "value": 1}], "patch[0]"),
        (
            [{"op": "add", "path": "/x", "value": 1}, {"op": "test", "path": "/x", "value": 2}],
            "patch[1]",
        ),
        ([{"op": "add", "path": "/x"}], "patch[0].value"),
        ([{"op": "move", "path": "/x"}], "patch[0]"),
        ([{"op": "frobnicate", "path": "/x", "value": 1}], "patch[0].op"),
        ([{"op": "replace", "path": "", "value": []}], "patch[0].path"),
        ([{"op": "replace", "path": "/email", "value": "not-an-address"}], "profile.email"),
        ([{"op": "add", "path": "/__name__", "value": 1}], "profile"),
        ([], "patch"),
    ],
)
def test_an_operation_that_cannot_apply_is_a_400_naming_it_and_nothing_changes(
    operations: list[dict[str, Any]], field: str
) -> None:
    api, _ = make_api()
    call(api, "PUT", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    answer = call(api, "PATCH", "/profiles/ada", {"patch": operations})
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, field), answer.body
    assert profile(api) == {"email": "ada@example.com"}


def test_a_patch_of_no_profile_is_404() -> None:
    api, _ = make_api()
    assert patch(api, {"op": "add", "path": "/name", "value": "Ada"}).status == 404


def test_copies_cannot_grow_the_profile_past_its_bound() -> None:
    api, _ = make_api()
    half = "x" * (PROFILE_MAX_BYTES // 2 - 100)
    call(api, "PUT", "/profiles/ada", {"profile": {"a": half}})
    # One copy fits (just under the bound); doubling again does not, and stops there.
    answer = patch(
        api,
        {"op": "copy", "from": "/a", "path": "/b"},
        {"op": "copy", "from": "", "path": "/c"},
        *[{"op": "copy", "from": "", "path": "/d"}] * 98,
    )
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "patch[1]")
    assert profile(api) == {"a": half}


def test_at_most_100_operations() -> None:
    api, _ = make_api()
    call(api, "PUT", "/profiles/ada", {"profile": {}})
    at_limit = [{"op": "add", "path": f"/k{i}", "value": i} for i in range(100)]
    assert patch(api, *at_limit).status == 204
    over = patch(api, *at_limit, {"op": "add", "path": "/k100", "value": 100})
    assert (over.status, over.body["errors"][0]["field"]) == (400, "patch")


def test_a_pointer_is_taken_to_its_limit_and_refused_past_it() -> None:
    api, _ = make_api()
    call(api, "PUT", "/profiles/ada", {"profile": {}})
    longest = "/" + "k" * 1023
    assert patch(api, {"op": "add", "path": longest, "value": 1}).status == 204
    assert patch(api, {"op": "copy", "from": longest, "path": "/copied"}).status == 204
    assert profile(api)["copied"] == 1
    for operation, field in (
        ({"op": "add", "path": longest + "k", "value": 1}, "patch[0].path"),
        ({"op": "copy", "from": longest + "k", "path": "/x"}, "patch[0].from"),
    ):
        over = patch(api, operation)
        assert (over.status, over.body["errors"][0]["field"]) == (400, field)
