"""Courier's notifications API over in-memory stores: templates with drafts, versions and
publishing, the same store as Herald's /templates, and a send renders only what is
published."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from herald.resources import notifications
from herald.resources.notifications import MAX_KEPT_VERSIONS, MAX_TAGS, MAX_VERSION_ID_CHARS
from herald.resources.template_checks import MAX_CHECKS
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call, make_api
from tests.unit.test_openapi_responses import checked


def email_block(*elements: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "2022-01-01",
        "elements": [{"type": "channel", "channel": "email", "elements": list(elements)}],
    }


def write(name: str = "Welcome", title: str = "Hi {{name}}", text: str = "Hello") -> Any:
    content = email_block(
        {"type": "meta", "title": title, "id": "subject"},
        {"type": "text", "content": text, "id": "greeting"},
    )
    return {
        "name": name,
        "content": content,
        "tags": ["onboarding"],
        "brand": None,
        "routing": None,
        "subscription": None,
    }


def create(api: Api, state: str = "draft", **fields: Any) -> dict[str, Any]:
    answer = call(api, "POST", "/notifications", {"notification": write(**fields), "state": state})
    assert answer.status == 201, answer.body
    return dict(answer.body)


def send(
    api: Api, pipeline: Pipeline, template: str, locale: str | None = None, **message: Any
) -> Any:
    to = {"email": "ada@example.com", **({"locale": locale} if locale else {})}
    body = {"message": {"to": to, "template": template, **message}}
    answer = call(api, "POST", "/send", body)
    if answer.status == 202:
        pipeline.drain()
    return answer


def test_a_draft_is_not_sent_until_published_and_later_drafts_leave_the_published_one() -> None:
    api, pipeline = make_api()
    created = create(api, text="First")
    template_id = created["id"]
    assert created["state"] == "DRAFT"
    assert created["content"]["elements"][0]["elements"][1]["content"] == "First"

    assert call(api, "GET", f"/notifications/{template_id}").status == 404
    refused = send(api, pipeline, template_id)
    assert refused.status == 400
    assert refused.body["errors"][0]["field"] == "message.template"
    assert "never been published" in refused.body["errors"][0]["reason"]

    assert call(api, "POST", f"/notifications/{template_id}/publish", {}).status == 204
    assert send(api, pipeline, template_id, data={"name": "Ada"}).status == 202
    assert pipeline.email.sent[-1].rendered["subject"] == "Hi Ada"
    assert "First" in pipeline.email.sent[-1].rendered["text"]

    put = call(
        api,
        "PUT",
        f"/notifications/{template_id}/content",
        {"content": email_block({"type": "text", "content": "Second", "id": "greeting"})},
    )
    assert put.status == 200, put.body
    assert put.body["state"] == "DRAFT"
    assert [e["id"] for e in put.body["elements"]] == ["channel_1", "greeting"]
    send(api, pipeline, template_id)
    assert "First" in pipeline.email.sent[-1].rendered["text"]
    draft = call(api, "GET", f"/notifications/{template_id}", version="draft").body
    assert draft["content"]["elements"][0]["elements"][0]["content"] == "Second"

    call(api, "POST", f"/notifications/{template_id}/publish")
    send(api, pipeline, template_id)
    assert "Second" in pipeline.email.sent[-1].rendered["text"]
    versions = call(api, "GET", f"/notifications/{template_id}/versions").body["versions"]
    assert [v["version"] for v in versions] == ["published:v002", "v001"]

    # A kept version is published again as it was.
    call(api, "POST", f"/notifications/{template_id}/publish", {"version": "v001"})
    send(api, pipeline, template_id)
    assert "First" in pipeline.email.sent[-1].rendered["text"]
    v002 = call(api, "GET", f"/notifications/{template_id}", version="v002").body
    assert v002["content"]["elements"][0]["elements"][0]["content"] == "Second"


def test_herald_templates_and_courier_notifications_are_one_store() -> None:
    api, pipeline = make_api()
    assert (
        call(api, "PUT", "/templates/receipt", {"content": {"title": "T", "body": "B"}}).status
        == 200
    )
    listed = call(api, "GET", "/notifications").body["results"]
    assert [(t["id"], t["state"]) for t in listed] == [("receipt", "PUBLISHED")]
    shown = call(api, "GET", "/notifications/receipt").body
    assert shown["content"]["elements"] == [
        {"type": "meta", "title": "T"},
        {"type": "text", "content": "B"},
    ]

    # Tagged through the notifications API, then a draft, which a write to /templates
    # replaces; the published tags stay.
    tagged = {"notification": write(title="Tagged"), "state": "PUBLISHED"}
    assert call(api, "PUT", "/notifications/receipt", tagged).status == 200
    draft = {"notification": write(text="Draft"), "state": "DRAFT"}
    call(api, "PUT", "/notifications/receipt", draft)
    assert call(api, "GET", "/notifications/receipt", version="draft").body["state"] == "DRAFT"
    assert call(api, "GET", "/templates/receipt").body["content"]["elements"][0]["type"] == (
        "channel"
    )
    call(api, "PUT", "/templates/receipt", {"content": {"title": "T2", "body": "B2"}})
    versions = call(api, "GET", "/notifications/receipt/versions").body["versions"]
    assert [v["version"] for v in versions] == ["published:v003", "v002", "v001"]
    assert call(api, "GET", "/notifications/receipt", version="draft").body["state"] == (
        "PUBLISHED"
    )
    # Its tags, given through the notifications API, stay.
    assert call(api, "GET", "/notifications/receipt").body["tags"] == ["onboarding"]
    send(api, pipeline, "receipt")
    assert pipeline.email.sent[-1].rendered["subject"] == "T2"


def test_one_element_and_one_locale_are_replaced_by_element_id() -> None:
    api, pipeline = make_api()
    template_id = create(api, state="published", text="Hello")["id"]
    path = f"/notifications/{template_id}"

    element = call(
        api,
        "PUT",
        f"{path}/elements/greeting",
        {"type": "text", "data": {"content": "Welcome aboard"}, "state": "PUBLISHED"},
    )
    assert element.status == 200, element.body
    assert element.body["state"] == "PUBLISHED"
    missing = call(api, "PUT", f"{path}/elements/nope", {"type": "text", "data": {"content": "x"}})
    assert missing.status == 404

    locale = call(
        api,
        "PUT",
        f"{path}/locales/pt-BR",
        {"elements": [{"id": "greeting", "content": "Bem-vindo"}], "state": "PUBLISHED"},
    )
    assert locale.status == 200, locale.body
    send(api, pipeline, template_id, locale="pt-BR")
    assert "Bem-vindo" in pipeline.email.sent[-1].rendered["text"]
    send(api, pipeline, template_id)
    assert "Welcome aboard" in pipeline.email.sent[-1].rendered["text"]

    content = call(api, "GET", f"{path}/content").body
    greeting = content["elements"][0]["elements"][1]
    assert greeting["id"] == "greeting"
    assert set(greeting["locales"]) == {"pt-BR"}
    assert len(greeting["checksum"]) == 32

    unknown = call(api, "PUT", f"{path}/locales/fr", {"elements": [{"id": "nope", "content": "x"}]})
    assert unknown.status == 400
    assert unknown.body["errors"][0]["field"] == "elements[0].id"
    fixed = call(api, "PUT", f"{path}/locales/fr", {"elements": [{"id": "greeting", "type": "x"}]})
    assert fixed.status == 400
    bad_locale = call(api, "PUT", f"{path}/locales/1234", {"elements": [{"id": "greeting"}]})
    assert bad_locale.status == 400
    assert bad_locale.body["errors"][0]["field"] == "locale_id"


def test_an_archived_template_leaves_the_list_stays_readable_and_is_not_sent() -> None:
    api, pipeline = make_api()
    template_id = create(api, state="PUBLISHED")["id"]
    assert call(api, "DELETE", f"/notifications/{template_id}").status == 204
    assert call(api, "GET", "/notifications").body["results"] == []
    assert call(api, "GET", f"/notifications/{template_id}").status == 200
    refused = send(api, pipeline, template_id)
    assert refused.status == 400
    assert "archived" in refused.body["errors"][0]["reason"]


def test_another_workspace_s_template_is_404() -> None:
    api, _ = make_api()
    template_id = create(api)["id"]
    other = "other-key"
    assert call(api, "GET", f"/notifications/{template_id}", key=other, version="draft").status == (
        404
    )
    assert call(api, "POST", f"/notifications/{template_id}/publish", key=other).status == 404
    assert call(api, "GET", "/notifications", key=other).body["results"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"content": {"version": "2022-01-01", "elements": [{"type": "text", "content": "x"}]}},
            "notification.content.elements",
        ),
        ({"alias": "welcome"}, "notification.alias"),
        ({"email": {"cc": ["a@example.com"]}}, "notification.email"),
        ({"tags": ["t"] * (MAX_TAGS + 1)}, "notification.tags"),
        ({"brand": {"id": "../x"}}, "notification.brand.id"),
    ],
)
def test_a_bad_template_is_refused_naming_its_field(change: dict[str, Any], field: str) -> None:
    api, _ = make_api()
    body = {"notification": {**write(), **change}}
    answer = call(api, "POST", "/notifications", body)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == field


def test_tags_are_taken_to_their_limit_and_filter_the_list() -> None:
    api, _ = make_api()
    tags = [f"T{i}" for i in range(MAX_TAGS)]
    body = {"notification": {**write(), "tags": tags}}
    tagged = call(api, "POST", "/notifications", body)
    assert tagged.status == 201
    create(api)
    found = call(api, "GET", "/notifications", tags="t1, T2").body["results"]
    assert [t["id"] for t in found] == [tagged.body["id"]]
    assert call(api, "GET", "/notifications", tags="t1,missing").body["results"] == []


def test_a_filtered_list_reads_a_bounded_number_of_templates_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notifications, "PAGE_SIZE", 2)
    monkeypatch.setattr(notifications, "MAX_SCANNED", 4)
    api, _ = make_api()
    for i in range(5):
        call(api, "PUT", f"/templates/t{i}", {"content": {"title": "T", "body": "B"}})
    page = call(api, "GET", "/notifications", tags="none").body
    # Four read, none matching: a short page that says there is more, and where.
    assert page == {"results": [], "paging": {"cursor": "t3", "more": True}}
    rest = call(api, "GET", "/notifications", tags="none", cursor="t3").body
    assert rest == {"results": [], "paging": {"cursor": None, "more": False}}
    every = call(api, "GET", "/notifications").body
    assert [t["id"] for t in every["results"]] == ["t0", "t1"]
    assert every["paging"] == {"cursor": "t1", "more": True}


def test_versions_are_kept_to_their_limit_and_paged_ten_at_most() -> None:
    api, _ = make_api()
    for i in range(MAX_KEPT_VERSIONS + 1):
        call(api, "PUT", "/templates/busy", {"content": {"title": f"T{i}", "body": "B"}})
    path = "/notifications/busy/versions"
    names: list[str] = []
    cursor: str | None = None
    while True:
        page = call(api, "GET", path, **({"cursor": cursor} if cursor else {})).body
        names += [v["version"] for v in page["versions"]]
        assert len(page["versions"]) <= 10
        if not page["paging"]["more"]:
            break
        cursor = page["paging"]["cursor"]
    assert len(names) == MAX_KEPT_VERSIONS
    assert names[0] == f"published:v{MAX_KEPT_VERSIONS + 1:03d}"
    assert names[-1] == "v002"
    assert call(api, "GET", "/notifications/busy", version="v001").status == 404
    assert call(api, "GET", path, limit="10").status == 200
    assert call(api, "GET", path, limit="11").body["errors"][0]["field"] == "limit"
    # Deleted through /templates, its versions go too: made again, it starts at v001.
    call(api, "DELETE", "/templates/busy")
    call(api, "PUT", "/templates/busy", {"content": {"title": "T", "body": "B"}})
    assert [v["version"] for v in call(api, "GET", path).body["versions"]] == ["published:v001"]


def test_every_answer_is_as_documented() -> None:
    api, _ = make_api()
    created = checked(api, "POST", "/notifications", "/notifications", {"notification": write()})
    template_id = created["id"]
    one = f"/notifications/{template_id}"
    checked(api, "GET", one, "/notifications/{id}", version="draft")
    checked(api, "PUT", one, "/notifications/{id}", {"notification": write(), "state": "published"})
    checked(api, "GET", one, "/notifications/{id}")
    checked(api, "GET", "/notifications", "/notifications")
    checked(api, "GET", f"{one}/versions", "/notifications/{id}/versions")
    checked(api, "GET", f"{one}/content", "/notifications/{id}/content")
    checked(
        api,
        "PUT",
        f"{one}/content",
        "/notifications/{id}/content",
        {"content": email_block({"type": "text", "content": "x", "id": "greeting"})},
    )
    checked(
        api,
        "PUT",
        f"{one}/elements/greeting",
        "/notifications/{id}/elements/{element_id}",
        {"type": "text", "data": {"content": "y"}},
    )
    checked(
        api,
        "PUT",
        f"{one}/locales/fr",
        "/notifications/{id}/locales/{locale_id}",
        {"elements": [{"id": "greeting", "content": "z"}]},
    )
    checked(api, "POST", f"{one}/publish", "/notifications/{id}/publish", {})
    checked(api, "DELETE", one, "/notifications/{id}")
    checked(api, "GET", "/notifications/nope", "/notifications/{id}")


def test_a_submission_s_checks_are_replaced_read_back_and_canceled() -> None:
    api, _ = make_api()
    template_id = create(api)["id"]
    path = f"/notifications/{template_id}/sub-1/checks"
    assert call(api, "GET", path).body == {"checks": []}
    checks = [{"id": "legal", "status": "PENDING", "type": "custom"}]
    put = call(api, "PUT", path, {"checks": checks})
    assert put.status == 200, put.body
    assert [(c["id"], c["status"]) for c in put.body["checks"]] == [("legal", "PENDING")]
    resolved = [{"id": "legal", "status": "RESOLVED", "type": "custom"}]
    call(api, "PUT", path, {"checks": resolved})
    assert [c["status"] for c in call(api, "GET", path).body["checks"]] == ["RESOLVED"]
    assert call(api, "DELETE", path).status == 204
    assert call(api, "DELETE", path).status == 404
    assert call(api, "GET", "/notifications/nope/sub-1/checks").status == 404
    assert call(api, "GET", path, key="other-key").status == 404
    many = [{"id": f"c{i}", "status": "FAILED", "type": "custom"} for i in range(MAX_CHECKS)]
    assert call(api, "PUT", path, {"checks": many}).status == 200
    too_many = [*many, {"id": "one-more", "status": "FAILED", "type": "custom"}]
    refused = call(api, "PUT", path, {"checks": too_many})
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "checks")
    wrong = call(api, "PUT", path, {"checks": [{"id": "x", "status": "DONE", "type": "custom"}]})
    assert (wrong.status, wrong.body["errors"][0]["field"]) == (400, "checks[0].status")
    checked(api, "PUT", path, "/notifications/{id}/{submission_id}/checks", {"checks": checks})
    checked(api, "GET", path, "/notifications/{id}/{submission_id}/checks")
    checked(api, "DELETE", path, "/notifications/{id}/{submission_id}/checks")


def test_a_version_id_is_read_to_its_longest_and_no_further() -> None:
    api, _ = make_api()
    call(api, "PUT", "/templates/t", {"content": {"title": "T", "body": "B"}})
    longest = "v" + "9" * (MAX_VERSION_ID_CHARS - 1)
    assert call(api, "GET", "/notifications/t", version=longest).status == 404  # none kept
    too_long = "v" + "0" * MAX_VERSION_ID_CHARS
    refused = call(api, "GET", "/notifications/t", version=too_long)
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "version")
    published = call(api, "POST", "/notifications/t/publish", {"version": too_long})
    assert (published.status, published.body["errors"][0]["field"]) == (400, "version")


def test_a_replaced_draft_drops_the_references_it_no_longer_has() -> None:
    api, _ = make_api()
    body = {**write(), "brand": {"id": "acme"}, "subscription": {"topic_id": "news"}}
    template_id = call(api, "POST", "/notifications", {"notification": body}).body["id"]
    call(api, "PUT", f"/notifications/{template_id}", {"notification": write()})
    draft = call(api, "GET", f"/notifications/{template_id}", version="draft").body
    assert (draft["brand"], draft["subscription"]) == (None, None)
    call(api, "POST", f"/notifications/{template_id}/publish")
    body = {**write(), "routing": {"strategy_id": "rs-1"}}
    call(api, "PUT", f"/notifications/{template_id}", {"notification": body, "state": "published"})
    call(
        api, "PUT", f"/notifications/{template_id}", {"notification": write(), "state": "published"}
    )
    assert call(api, "GET", f"/notifications/{template_id}").body["routing"] is None
