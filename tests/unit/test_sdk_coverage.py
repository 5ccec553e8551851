"""Every method of Courier's Python SDK is answered by Herald's router, or listed with
its reason in the one table of omissions (``herald_tools.sdk_coverage.OMISSIONS``);
the count is the one the README and the API guide state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from herald.api.routes import build_router
from herald_tools.sdk_coverage import OMISSIONS, SdkMethod, coverage, sdk_methods

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_COUNT = re.compile(r"(\d+) of the (\d+) methods of Courier's Python SDK")


def describe(methods: list[SdkMethod]) -> list[str]:
    return [f"{m.qualified}: {m.http_method} {m.path}" for m in methods]


def test_the_reader_finds_each_method_with_its_http_method_and_path() -> None:
    found = {m.qualified: (m.http_method, m.path) for m in sdk_methods()}
    assert found["send.message"] == ("POST", "/send")
    assert found["messages.content"] == ("GET", "/messages/{message_id}/output")
    assert found["lists.subscriptions.unsubscribe_user"] == (
        "DELETE",
        "/lists/{list_id}/subscriptions/{user_id}",
    )
    assert found["profiles.update"][0] == "PATCH"
    assert len(found) == len(sdk_methods())  # no method found twice
    assert len(found) >= 168
    # The regex audit bounds the templates the coverage reads at 100 characters.
    assert max(len(path) for _, path in found.values()) <= 100


def test_a_path_the_reader_does_not_know_is_an_error_not_a_guess(tmp_path: Path) -> None:
    (tmp_path / "things.py").write_text(
        "class ThingsResource(SyncAPIResource):\n"
        "    def retrieve(self, thing_id):\n"
        "        return self._get(f'/things/{thing_id}')\n"
    )
    with pytest.raises(ValueError, match=re.escape("things.py:ThingsResource.retrieve")):
        sdk_methods(tmp_path)


def test_every_sdk_method_is_routed_or_omitted_with_a_reason() -> None:
    found = coverage(build_router())
    assert describe(found.unaccounted) == []
    assert all(reason.strip() for reason in OMISSIONS.values())


def test_no_omission_is_in_fact_routed() -> None:
    assert describe(coverage(build_router()).omitted_but_routed) == []


def test_every_omission_names_an_sdk_method_or_resource() -> None:
    assert coverage(build_router()).stale_entries == []


def test_the_checks_catch_a_method_neither_routed_nor_listed_and_one_listed_but_routed() -> None:
    unknown = SdkMethod("gadgets", "retrieve", "GET", "/gadgets/{gadget_id}")
    listed_but_routed = SdkMethod("brands", "retrieve", "GET", "/brands/{brand_id}")
    OMISSIONS["brands.retrieve"] = "a wrong entry"
    try:
        found = coverage(build_router(), [unknown, listed_but_routed])
    finally:
        del OMISSIONS["brands.retrieve"]
    assert found.unaccounted == [unknown]
    assert found.omitted_but_routed == [listed_but_routed]


def test_a_route_of_another_shape_does_not_count() -> None:
    # /preferences/{token} is the preference page's; a literal /preferences/gadgets is not it.
    gadgets = SdkMethod("workspace_preferences", "gadgets", "GET", "/preferences/gadgets")
    wrong_verb = SdkMethod("brands", "patch", "PATCH", "/brands/{brand_id}")
    assert coverage(build_router(), [gadgets, wrong_verb]).routed == []


@pytest.mark.parametrize("document", ["README.md", "docs/api/guide.md"])
def test_the_documents_state_the_count(document: str) -> None:
    found = coverage(build_router())
    stated = DOCUMENTED_COUNT.findall((ROOT / document).read_text(encoding="utf-8"))
    assert stated == [(str(len(found.routed)), str(found.total))]
