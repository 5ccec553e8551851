"""Courier's ``POST /messages/{message_id}/resend``: the same content to the same recipient,
as a new message, now; the original unchanged."""

from __future__ import annotations

from tests.unit.test_api import call, make_api

SEND = {
    "message": {
        "to": {"email": "ada@example.com"},
        "content": {"title": "Hi {{name}}", "body": "Code {{code}}"},
        "data": {"name": "Ada", "code": "42"},
        "metadata": {"trace_id": "order-7", "tags": ["otp"], "event": "login-code"},
        "delay": {"duration": 60_000},
    }
}


def test_a_resend_is_a_new_message_of_the_same_content_to_the_same_recipient_now() -> None:
    api, pipeline = make_api()
    original = call(api, "POST", "/send", SEND).body["requestId"]
    pipeline.drain()
    assert call(api, "GET", f"/messages/{original}").body["status"] == "DELAYED"

    resent = call(api, "POST", f"/messages/{original}/resend")
    assert resent.status == 202, resent.body
    new_id = resent.body["messageId"]
    assert new_id != original
    pipeline.drain()
    message = call(api, "GET", f"/messages/{new_id}").body
    assert (message["status"], message["recipient"], message["traceId"], message["event"]) == (
        "SENT",
        "ada@example.com",
        "order-7",
        "login-code",
    )
    assert message["tags"] == ["otp"]
    assert message["resentFrom"] == original
    [mail] = pipeline.email.sent
    assert (mail.rendered["subject"], mail.rendered["text"]) == ("Hi Ada", "Code 42")
    # The original is untouched: still waiting out its delay.
    assert call(api, "GET", f"/messages/{original}").body["status"] == "DELAYED"


def test_resending_what_is_not_a_message_of_the_workspace_is_refused() -> None:
    api, _ = make_api()
    assert call(api, "POST", "/messages/no-such-message/resend").status == 404
    original = call(api, "POST", "/send", SEND).body["requestId"]
    other = call(api, "POST", f"/messages/{original}/resend", key="other-key")
    assert other.status == 404
    to_list = {"message": {"to": {"list_id": "news"}, "content": {"body": "x"}}}
    call(api, "PUT", "/lists/news", {"name": "News"})
    fanout = call(api, "POST", "/send", to_list).body["requestId"]
    refused = call(api, "POST", f"/messages/{fanout}/resend")
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "message_id")


def test_a_resend_of_a_template_that_is_gone_is_refused() -> None:
    api, _ = make_api()
    call(api, "PUT", "/templates/welcome", {"content": {"title": "T", "body": "B"}})
    body = {"message": {"to": {"email": "ada@example.com"}, "template": "welcome"}}
    original = call(api, "POST", "/send", body).body["requestId"]
    call(api, "DELETE", "/templates/welcome")
    refused = call(api, "POST", f"/messages/{original}/resend")
    assert (refused.status, refused.body["errors"][0]["field"]) == (400, "message.template")
