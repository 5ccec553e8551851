"""A journey's own notification templates (Courier's ``client.journeys.templates``), over
the in-memory adapters: the notifications store, scoped to the journey."""

from __future__ import annotations

from typing import Any

import pytest

from herald.api.http import Api
from herald.api.models_notifications import (
    ContentMutation,
    JourneyTemplatePage,
    NotificationContent,
    NotificationView,
    VersionPage,
)
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_automations import herald
from tests.unit.test_journeys import TRIGGER, errors_of, invoke, steps_of

__all__ = ["herald"]  # the fixture


def email_block(text: str) -> dict[str, Any]:
    return {
        "version": "2022-01-01",
        "elements": [
            {
                "type": "channel",
                "channel": "email",
                "elements": [{"type": "meta", "title": "Hi"}, {"type": "text", "content": text}],
            }
        ],
    }


def notification(text: str = "Welcome aboard") -> dict[str, Any]:
    return {
        "name": "Welcome",
        "brand": None,
        "subscription": None,
        "tags": ["onboarding"],
        "content": email_block(text),
    }


def journey(api: Api) -> str:
    answer = call(api, "POST", "/journeys", {"name": "Onboarding", "nodes": [TRIGGER]})
    assert answer.status == 200, answer.body
    return str(answer.body["id"])


def new_template(api: Api, journey_id: str, **body: Any) -> Any:
    payload = {"channel": "email", "notification": notification(), **body}
    return call(api, "POST", f"/journeys/{journey_id}/templates", payload)


def test_a_journey_template_is_a_notification_template_kept_for_its_journey(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    journey_id = journey(api)
    created = new_template(api, journey_id, providerKey="sendgrid")
    assert created.status == 200, created.body
    NotificationView.model_validate(created.body)
    template_id = created.body["id"]
    assert (created.body["state"], created.body["tags"]) == ("DRAFT", ["onboarding"])
    base = f"/journeys/{journey_id}/templates/{template_id}"
    # Never published: read as its draft.
    assert call(api, "GET", base).body["state"] == "DRAFT"
    listed = call(api, "GET", f"/journeys/{journey_id}/templates")
    JourneyTemplatePage.model_validate(listed.body)
    assert [t["id"] for t in listed.body["results"]] == [template_id]
    assert listed.body["paging"] == {"cursor": None, "more": False}
    # The workspace's own list and /send leave it out: it is the journey's.
    assert template_id not in [t["id"] for t in call(api, "GET", "/notifications").body["results"]]
    send = {"message": {"to": {"email": "ada@example.com"}, "template": template_id}}
    refused = call(api, "POST", "/send", send)
    assert errors_of(refused) == ["message.template"]
    assert f"belongs to journey {journey_id}" in refused.body["message"]

    assert call(api, "POST", f"{base}/publish").status == 204
    replaced = call(api, "PUT", base, {"notification": notification("Welcome back")})
    assert (replaced.status, replaced.body["state"]) == (200, "DRAFT")
    published_content = call(api, "GET", f"{base}/content")
    NotificationContent.model_validate(published_content.body)
    text = published_content.body["elements"][0]["elements"][1]
    assert text["content"] == "Welcome aboard"  # the published version, not the draft
    draft = call(api, "GET", f"{base}/content", version="draft").body
    assert draft["elements"][0]["elements"][1]["content"] == "Welcome back"
    versions = call(api, "GET", f"{base}/versions")
    VersionPage.model_validate(versions.body)
    assert [v["version"] for v in versions.body["versions"]] == ["draft", "published:v001"]

    content = call(api, "PUT", f"{base}/content", {"content": email_block("Third")})
    ContentMutation.model_validate(content.body)
    text_id = content.body["elements"][-1]["id"]
    locale = call(
        api,
        "PUT",
        f"{base}/locales/fr",
        {"elements": [{"id": text_id, "content": "Bienvenue"}], "state": "PUBLISHED"},
    )
    assert (locale.status, locale.body["state"]) == (200, "PUBLISHED")
    shown = call(api, "GET", f"{base}/content").body["elements"][0]["elements"][1]
    assert shown["locales"]["fr"]["content"] == "Bienvenue"
    rolled_back = call(api, "POST", f"{base}/publish", {"version": "v001"})
    assert rolled_back.status == 204
    again = call(api, "GET", base).body["content"]["elements"][0]["elements"][1]
    assert again["content"] == "Welcome aboard"

    assert call(api, "DELETE", base).status == 204
    assert call(api, "GET", f"/journeys/{journey_id}/templates").body["results"] == []


def test_a_journey_s_send_node_sends_its_published_template(
    herald: tuple[Api, Pipeline],
) -> None:
    api, pipeline = herald
    journey_id = journey(api)
    template_id = new_template(api, journey_id, state="PUBLISHED").body["id"]
    send = {"type": "send", "id": "hello", "message": {"template": template_id}}
    nodes = {"name": "Onboarding", "nodes": [TRIGGER, send], "state": "PUBLISHED"}
    assert call(api, "PUT", f"/journeys/{journey_id}", nodes).status == 200
    run_id = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    (step,) = steps_of(api, run_id)
    assert step["status"] == "PROCESSED"
    (dispatch,) = pipeline.email.sent
    assert "Welcome aboard" in str(dispatch.rendered)


def test_another_journey_may_not_name_a_journey_s_template(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    owner, other = journey(api), journey(api)
    template_id = new_template(api, owner, state="PUBLISHED").body["id"]
    send = {"type": "send", "message": {"template": template_id}}
    answer = call(api, "PUT", f"/journeys/{other}", {"name": "O", "nodes": [send]})
    assert errors_of(answer) == ["nodes[0].message.template"]
    # Nor read it through the other journey, nor through one that does not exist.
    assert call(api, "GET", f"/journeys/{other}/templates/{template_id}").status == 404
    assert call(api, "GET", f"/journeys/nope/templates/{template_id}").status == 404
    assert call(api, "DELETE", f"/journeys/{other}/templates/{template_id}").status == 404


def test_a_journey_template_holds_exactly_one_channel_block_for_its_channel(
    herald: tuple[Api, Pipeline],
) -> None:
    api, _ = herald
    journey_id = journey(api)
    sms = {**notification(), "content": {**email_block("x")}}
    assert errors_of(new_template(api, journey_id, channel="sms", notification=sms)) == [
        "notification.content.elements[0].channel"
    ]
    top_level = {
        **notification(),
        "content": {"version": "2022-01-01", "elements": [{"type": "text", "content": "x"}]},
    }
    assert errors_of(new_template(api, journey_id, notification=top_level)) == [
        "notification.content.elements[0].type"
    ]
    two = email_block("x")
    two["elements"] = two["elements"] * 2
    assert errors_of(
        new_template(api, journey_id, notification={**notification(), "content": two})
    ) == ["notification.content.elements"]
    created = new_template(api, journey_id).body["id"]
    base = f"/journeys/{journey_id}/templates/{created}"
    assert errors_of(call(api, "PUT", f"{base}/content", {"content": two})) == ["content.elements"]
    assert errors_of(new_template(api, journey_id, channel="")) == ["channel"]
    assert new_template(api, "no-such-journey").status == 404


def test_a_journey_s_templates_are_paged_by_limit(herald: tuple[Api, Pipeline]) -> None:
    api, _ = herald
    journey_id = journey(api)
    made = sorted(new_template(api, journey_id).body["id"] for _ in range(3))
    first = call(api, "GET", f"/journeys/{journey_id}/templates", limit="2").body
    assert [t["id"] for t in first["results"]] == made[:2] and first["paging"]["more"]
    second = call(
        api, "GET", f"/journeys/{journey_id}/templates", limit="2", cursor=first["paging"]["cursor"]
    ).body
    assert [t["id"] for t in second["results"]] == made[2:]
    for bad in ("0", "101", "x"):
        assert errors_of(call(api, "GET", f"/journeys/{journey_id}/templates", limit=bad)) == [
            "limit"
        ]
    assert call(api, "GET", f"/journeys/{journey_id}/templates", limit="100").status == 200


@pytest.mark.parametrize(
    ("change", "problem"), [("archive", "is archived"), ("draft", "has never been published")]
)
def test_a_send_node_does_not_send_an_archived_or_unpublished_journey_template(
    herald: tuple[Api, Pipeline], change: str, problem: str
) -> None:
    api, pipeline = herald
    journey_id = journey(api)
    state = "DRAFT" if change == "draft" else "PUBLISHED"
    template_id = new_template(api, journey_id, state=state).body["id"]
    send = {"type": "send", "id": "hello", "message": {"template": template_id}}
    nodes = {"name": "Onboarding", "nodes": [TRIGGER, send], "state": "PUBLISHED"}
    assert call(api, "PUT", f"/journeys/{journey_id}", nodes).status == 200
    if change == "archive":
        assert call(api, "DELETE", f"/journeys/{journey_id}/templates/{template_id}").status == 204
    run_id = invoke(api, journey_id).body["runId"]
    pipeline.drain()
    (step,) = steps_of(api, run_id)
    assert (step["status"], step["error"]) == (
        "ERROR",
        {"message": f"send: template {template_id!r} {problem}"},
    )
    assert pipeline.email.sent == []
