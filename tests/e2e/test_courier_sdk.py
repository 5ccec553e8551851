"""Conformance: Courier's official Python SDK drives Herald's whole local stack.

The client validates every answer strictly against the SDK's own models
(``_strict_response_validation``): a body Herald shapes unlike Courier fails to
parse here instead of surfacing later as a missing attribute. Retries are off,
so a 409 or 5xx shows as itself. A raw-HTTP twin checks statuses and headers
exactly where the SDK hides them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message as MailHeaders
from typing import Any

import courier
import pytest
from courier import Courier
from courier.types.send_message_params import Message

from herald.api.routes import current_document
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e

ENDED = frozenset({"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE", "CANCELED"})


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def mails_to(sinks: Client, address: str) -> list[dict[str, Any]]:
    return [m for m in sinks.get("/mail") if address in m["to"]]


def ended(client: Courier, message_id: str) -> Any:
    message = client.messages.retrieve(message_id)
    return message if message.status in ENDED else None


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: MailHeaders
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> RawAnswer:
    """One HTTP call as any client makes it, answering the status, headers and bytes."""
    sent = {"content-type": "application/json", **(headers or {})}
    if key is not None:
        sent["authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data, sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return RawAnswer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return RawAnswer(error.code, error.headers, error.read())


def test_content_sugar_is_sent_and_read_back_through_the_messages_api(
    client: Courier, sinks: Client
) -> None:
    address = f"{unique('sugar')}@example.com"
    trace = uuid.uuid4().hex
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "Hi {{name}}", "body": "Your code is {{code}}"},
            "data": {"name": "Ada", "code": "123456"},
            "metadata": {"trace_id": trace, "tags": ["otp"]},
        }
    )
    [mail] = eventually(lambda: mails_to(sinks, address), what="the mail")
    assert (mail["subject"], mail["text"]) == ("Hi Ada", "Your code is 123456")

    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert (message.id, message.status, message.recipient) == (sent.request_id, "SENT", address)
    assert message.enqueued <= (message.sent or 0)
    assert (message.notification, message.event, message.reason) == ("", "", None)

    [content] = client.messages.content(sent.request_id).results
    assert (content.channel, content.content.subject, content.content.text) == (
        "email",
        "Hi Ada",
        "Your code is 123456",
    )
    history = client.messages.history(sent.request_id).results
    assert [h["type"] for h in history] == ["ENQUEUED", "ROUTED", "RENDERED", "SENT"]
    only_sent = client.messages.history(sent.request_id, type="SENT").results
    assert [h["type"] for h in only_sent] == ["SENT"]

    # The SDK's trace_id and tag travel as Courier's traceId and tag query parameters.
    listed = eventually(
        lambda: client.messages.list(trace_id=trace, tag=["otp"]).results, what="the summary"
    )
    assert [m.id for m in listed] == [sent.request_id]
    by_send = client.messages.list(message_id=sent.request_id).results
    assert [m.id for m in by_send] == [sent.request_id]
    # A filter Herald cannot apply is refused, never answered with an unfiltered page.
    with pytest.raises(courier.BadRequestError):
        client.messages.list(provider=["sendgrid"])

    with pytest.raises(courier.ConflictError) as too_late:
        client.messages.cancel(sent.request_id)
    assert too_late.value.status_code == 409
    assert isinstance(too_late.value.body, dict) and too_late.value.body["status"] == "SENT"


def test_courier_s_send_shapes_are_taken_as_courier_means_them(
    client: Courier, sinks: Client
) -> None:
    address = f"{unique('shapes')}@example.com"
    event = unique("order-shipped")
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "Shipped", "body": "On its way"},
            # Courier's chat channel name; the recipient has no chat address, so email.
            "routing": {"method": "single", "channels": ["direct_message", "email"]},
            "metadata": {"event": event},
        }
    )
    eventually(lambda: mails_to(sinks, address), what="the mail")
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert (message.status, message.event, message.notification) == ("SENT", event, "")
    listed = eventually(
        lambda: client.messages.list(message_id=sent.request_id).results, what="the summary"
    )
    assert [m.event for m in listed] == [event]

    # Courier's own example number, national: read as in the workspace's region (US).
    texted = client.send.message(
        message={"to": {"phone_number": "2025550125"}, "content": {"title": "", "body": "Hi"}}
    )
    assert client.messages.retrieve(texted.request_id).recipient == "+12025550125"

    refused = {
        "message.template": {"to": {"email": address}, "template": unique("no-such-template")},
        "message.routing.channels[0]": {
            "to": {"email": address},
            "content": {"title": "", "body": "x"},
            "routing": {"method": "single", "channels": ["banner"]},
        },
        "message.channels.email.providers[0]": {
            "to": {"email": address},
            "content": {"title": "", "body": "x"},
            "channels": {"email": {"providers": ["mailgun"]}},
        },
    }
    for field, body in refused.items():
        with pytest.raises(courier.BadRequestError) as invalid:
            client.send.message(message=body)  # type: ignore[arg-type]
        assert isinstance(invalid.value.body, dict)
        assert [e["field"] for e in invalid.value.body["errors"]] == [field]


def test_a_delayed_message_is_canceled_through_the_sdk(client: Courier, sinks: Client) -> None:
    address = f"{unique('cancel')}@example.com"
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {"title": "Never", "body": "never"},
            "delay": {"duration": 4000},  # long enough to cancel it while it waits
        }
    )
    eventually(
        lambda: client.messages.retrieve(sent.request_id).status == "DELAYED", what="DELAYED"
    )
    canceled = client.messages.cancel(sent.request_id)
    assert (canceled.id, canceled.status) == (sent.request_id, "CANCELED")
    history = eventually(
        lambda: [
            h["type"]
            for h in client.messages.history(sent.request_id).results
            if h["type"] == "CANCELED"
        ],
        what="the CANCELED event",
    )
    assert history == ["CANCELED"]
    assert client.messages.retrieve(sent.request_id).status == "CANCELED"
    assert mails_to(sinks, address) == []


def test_elemental_content_renders_its_elements(client: Courier, sinks: Client) -> None:
    address = f"{unique('elemental')}@example.com"
    sent = client.send.message(
        message={
            "to": {"email": address},
            "content": {
                "version": "2022-01-01",
                "elements": [
                    {"type": "meta", "title": "Welcome {{name}}"},
                    {"type": "text", "content": "Hello {{name}}"},
                    {"type": "action", "content": "Open", "href": "https://example.com/app"},
                ],
            },
            "data": {"name": "Grace"},
        }
    )
    [mail] = eventually(lambda: mails_to(sinks, address), what="the mail")
    assert mail["subject"] == "Welcome Grace"
    assert "Hello Grace" in mail["text"]
    [content] = client.messages.content(sent.request_id).results
    assert content.content.subject == "Welcome Grace"
    assert "https://example.com/app" in content.content.html


def test_a_template_is_sent_to_a_user_whose_profile_is_managed_through_the_sdk(
    client: Courier, stack: Stack, sinks: Client
) -> None:
    user_id = unique("user")
    address = f"{user_id}@example.com"
    template_id = unique("welcome")
    # Templates are Herald's own API: Courier designs them in its web editor.
    stored = raw(
        stack.base_url,
        "PUT",
        f"/templates/{template_id}",
        {
            "name": "Welcome",
            "content": {"title": "Welcome {{profile.name}}", "body": "Hi {{plan}}"},
        },
        key=stack.api_key,
    )
    assert stored.status == 200, stored.body

    assert client.profiles.create(user_id, profile={"email": address}).status == "SUCCESS"
    assert client.profiles.replace(user_id, profile={"email": address, "name": "Ada"}).status == (
        "SUCCESS"
    )
    assert client.profiles.retrieve(user_id).profile == {"email": address, "name": "Ada"}

    sent = client.send.message(
        message={"to": {"user_id": user_id}, "template": template_id, "data": {"plan": "pro"}}
    )
    [mail] = eventually(lambda: mails_to(sinks, address), what="the mail")
    assert (mail["subject"], mail["text"]) == ("Welcome Ada", "Hi pro")
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert (message.status, message.notification, message.event) == (
        "SENT",
        template_id,
        template_id,
    )
    listed = client.messages.list(notification=template_id).results
    assert [m.id for m in listed] == [sent.request_id]

    client.profiles.delete(user_id)
    with pytest.raises(courier.NotFoundError):
        client.profiles.retrieve(user_id)


def test_a_list_is_managed_through_the_sdk_and_a_send_reaches_its_subscribers(
    client: Courier, sinks: Client
) -> None:
    list_id = f"{unique('news')}.weekly"
    users = [unique("reader") for _ in range(3)]
    for user in users:
        client.profiles.create(user, profile={"email": f"{user}@example.com"})
    client.lists.update(list_id, name="Weekly news")
    assert client.lists.retrieve(list_id).name == "Weekly news"
    client.lists.subscriptions.add(list_id, recipients=[{"recipient_id": u} for u in users[:2]])
    client.lists.subscriptions.subscribe_user(users[2], list_id=list_id)
    subscribers = client.lists.subscriptions.list(list_id)
    assert sorted(s.recipient_id for s in subscribers.items) == sorted(users)
    assert subscribers.paging.more is False
    client.lists.subscriptions.unsubscribe_user(users[2], list_id=list_id)
    # PUT makes the given users the only subscribers: here, the same two again.
    client.lists.subscriptions.subscribe(
        list_id, recipients=[{"recipient_id": u} for u in users[:2]]
    )

    pattern = list_id.split(".")[0] + ".*"
    assert [found.id for found in client.lists.list(pattern=pattern).items] == [list_id]

    trace = uuid.uuid4().hex
    client.send.message(
        message={
            "to": {"list_id": list_id},
            "content": {"title": "This week", "body": "News for {{profile.email}}"},
            "metadata": {"trace_id": trace},
        }
    )
    for user in users[:2]:
        address = f"{user}@example.com"
        [mail] = eventually(lambda: mails_to(sinks, address), what=f"{user}'s mail")  # noqa: B023
        assert mail["text"] == f"News for {address}"
    # Each subscriber has a message of its own; the unsubscribed user has none.
    sent = eventually(
        lambda: (
            found
            if len(found := client.messages.list(trace_id=trace, status=["SENT"]).results) == 2
            else None
        ),
        what="two SENT messages",
    )
    assert sorted(m.recipient for m in sent) == sorted(users[:2])
    assert mails_to(sinks, f"{users[2]}@example.com") == []

    client.lists.delete(list_id)
    with pytest.raises(courier.NotFoundError):
        client.lists.retrieve(list_id)
    client.lists.restore(list_id)
    assert client.lists.retrieve(list_id).id == list_id


def test_a_user_opted_out_of_a_topic_through_the_sdk_gets_nothing(
    client: Courier, stack: Stack, sinks: Client
) -> None:
    topic_id = unique("billing")
    user_id = unique("payer")
    address = f"{user_id}@example.com"
    # Topics are Herald's own API: Courier defines them in its web app.
    defined = raw(
        stack.base_url,
        "PUT",
        f"/preferences/topics/{topic_id}",
        {"topic_name": "Billing", "default_status": "OPTED_IN"},
        key=stack.api_key,
    )
    assert defined.status == 200, defined.body
    client.profiles.create(user_id, profile={"email": address})
    answer = client.users.preferences.update_or_create_topic(
        topic_id, user_id=user_id, topic={"status": "OPTED_OUT"}
    )
    assert answer.message == "success"
    topic = client.users.preferences.retrieve_topic(topic_id, user_id=user_id).topic
    assert (topic.topic_name, topic.default_status, topic.status) == (
        "Billing",
        "OPTED_IN",
        "OPTED_OUT",
    )
    every = client.users.preferences.retrieve(user_id)
    assert [(t.topic_id, t.status) for t in every.items if t.topic_id == topic_id] == [
        (topic_id, "OPTED_OUT")
    ]

    sent = client.send.message(
        message={
            "to": {"user_id": user_id},
            "content": {"title": "Invoice", "body": "Due"},
            "preferences": {"subscription_topic_id": topic_id},
        }
    )
    message = eventually(lambda: ended(client, sent.request_id), what="an end state")
    assert (message.status, message.reason) == ("UNDELIVERABLE", "UNSUBSCRIBED")
    assert mails_to(sinks, address) == []


def test_brands_are_created_read_updated_listed_and_deleted(client: Courier) -> None:
    created = client.brands.create(
        name="Acme",
        settings={
            "colors": {"primary": "#ff5500", "secondary": "#112233"},
            "email": {"header": {"logo": {"image": "https://acme.example/logo.png"}}},
        },
    )
    assert created.name == "Acme" and created.created == created.updated
    got = client.brands.retrieve(created.id)
    assert got.settings is not None and got.settings.colors is not None
    assert got.settings.colors.primary == "#ff5500"
    updated = client.brands.update(created.id, name="Acme 2")
    assert (updated.name, updated.created) == ("Acme 2", created.created)
    assert created.id in [b.id for b in client.brands.list().results]
    client.brands.delete(created.id)
    with pytest.raises(courier.NotFoundError):
        client.brands.retrieve(created.id)


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    client: Courier, stack: Stack
) -> None:
    key = uuid.uuid4().hex
    address = f"{unique('once')}@example.com"
    message: Message = {"to": {"email": address}, "content": {"title": "Once", "body": "once"}}
    first = client.send.message(message=message, idempotency_key=key)
    replayed = client.send.message(message=message, idempotency_key=key)
    assert replayed.request_id == first.request_id

    twin = raw(
        stack.base_url,
        "POST",
        "/send",
        {"message": message},
        key=stack.api_key,
        headers={"Idempotency-Key": key},
    )
    assert (twin.status, twin.json()) == (202, {"requestId": first.request_id})
    assert twin.headers["Idempotent-Replayed"] == "true"

    with pytest.raises(courier.UnprocessableEntityError) as refused:
        client.send.message(
            message={"to": {"email": address}, "content": {"title": "Once", "body": "twice"}},
            idempotency_key=key,
        )
    assert refused.value.status_code == 422


def test_errors_surface_as_the_sdks_error_classes(client: Courier, stack: Stack) -> None:
    with pytest.raises(courier.BadRequestError) as invalid:
        client.send.message(
            message={"to": {"email": "not-an-address"}, "content": {"title": "X", "body": "x"}}
        )
    body = invalid.value.body
    assert isinstance(body, dict) and body["type"] == "invalid_request_error"
    assert body["errors"] == [{"field": "message.to.email", "reason": "is not an email address"}]

    with (
        Courier(api_key="hk_wrong", base_url=stack.base_url, max_retries=0) as stranger,
        pytest.raises(courier.AuthenticationError) as unauthenticated,
    ):
        stranger.messages.list()
    assert unauthenticated.value.status_code == 401

    with pytest.raises(courier.NotFoundError) as missing:
        client.messages.retrieve(unique("no-such-message"))
    assert isinstance(missing.value.body, dict) and missing.value.body["type"] == "not_found"


def test_raw_http_statuses_and_headers_are_exactly_courier_s(stack: Stack) -> None:
    base, key = stack.base_url, stack.api_key
    accepted = raw(
        base,
        "POST",
        "/send",
        {"message": {"to": {"email": "raw@example.com"}, "content": {"title": "X", "body": "x"}}},
        key=key,
    )
    assert accepted.status == 202
    assert accepted.headers.get_content_type() == "application/json"
    assert list(accepted.json()) == ["requestId"]

    user_id = unique("raw")
    created = raw(
        base, "POST", f"/profiles/{user_id}", {"profile": {"email": "r@example.com"}}, key=key
    )
    assert (created.status, created.json()) == (200, {"status": "SUCCESS"})
    deleted = raw(base, "DELETE", f"/profiles/{user_id}", key=key)
    assert (deleted.status, deleted.body) == (204, b"")

    unauthenticated = raw(base, "GET", "/messages")
    assert unauthenticated.status == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    assert unauthenticated.json()["type"] == "authentication_error"

    not_allowed = raw(base, "PATCH", "/send", {}, key=key)
    assert not_allowed.status == 405

    document = raw(base, "GET", "/openapi.json")
    assert (document.status, document.headers.get_content_type()) == (200, "application/json")
    assert document.json() == current_document()
