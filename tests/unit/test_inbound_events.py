"""Courier's inbound track event: the template of the event's name sent to its user with
its properties, once per messageId."""

from __future__ import annotations

from typing import Any

from tests.unit.test_api import call, make_api


def event(message_id: str = "evt-1", **more: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "order-shipped",
        "messageId": message_id,
        "properties": {"order": "A1"},
        "userId": "ada",
        **more,
    }


def workspace() -> Any:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    template = {"content": {"title": "Order {{order}}", "body": "Shipped"}}
    assert call(api, "PUT", "/templates/order-shipped", template).status == 200
    return api, pipeline


def test_an_event_sends_its_template_to_its_user_with_its_properties() -> None:
    api, pipeline = workspace()
    answer = call(api, "POST", "/inbound/courier", event())
    assert answer.status == 202, answer.body
    message_id = answer.body["messageId"]
    pipeline.drain()
    message = call(api, "GET", f"/messages/{message_id}").body
    assert (message["status"], message["event"], message["notification"]) == (
        "SENT",
        "order-shipped",
        "order-shipped",
    )
    [mail] = pipeline.email.sent
    assert (mail.recipient["email"], mail.rendered["subject"]) == ("ada@example.com", "Order A1")


def test_a_message_id_seen_before_is_a_conflict_and_sends_nothing() -> None:
    api, pipeline = workspace()
    assert call(api, "POST", "/inbound/courier", event()).status == 202
    again = call(api, "POST", "/inbound/courier", event(properties={"order": "B2"}))
    assert again.status == 409
    assert "evt-1" in again.body["message"]
    pipeline.drain()
    assert len(pipeline.email.sent) == 1
    # Another workspace has its own ids.
    template = {"content": {"title": "T", "body": "B"}}
    call(api, "PUT", "/templates/order-shipped", template, key="other-key")
    assert call(api, "POST", "/inbound/courier", event(), key="other-key").status == 202


def test_an_event_refused_leaves_its_message_id_free() -> None:
    api, _ = workspace()
    bad_data = event(properties={"x": {"": 1}})  # an empty key Firestore cannot store
    refused = call(api, "POST", "/inbound/courier", bad_data)
    assert refused.status == 400, refused.body
    assert call(api, "POST", "/inbound/courier", event()).status == 202


def test_an_event_that_names_no_template_or_no_user_is_refused_naming_the_field() -> None:
    api, _ = workspace()
    for body, field in (
        (event(event="nothing-mapped"), "event"),
        ({k: v for k, v in event().items() if k != "userId"}, "userId"),
        (event(type="identify"), "type"),
        (event(messageId="a/b"), "messageId"),
        (event(properties=[1]), "properties"),
    ):
        answer = call(api, "POST", "/inbound/courier", body)
        assert (answer.status, answer.body["errors"][0]["field"]) == (400, field), body
