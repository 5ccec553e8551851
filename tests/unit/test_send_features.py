"""The Courier send message end to end over in-memory stores: users, lists, templates,
nested routing, overrides, preferences and brands."""

from typing import Any

from herald.api.http import Api
from herald.domain.message import ChannelOutcome
from herald.errors import RetryableProviderError
from tests.unit.fakes import FakeProvider, Pipeline
from tests.unit.test_api import call, make_api


def with_channels(*extra: FakeProvider) -> tuple[Api, Pipeline]:
    api, pipeline = make_api()
    pipeline.extra.extend(extra)
    pipeline.restart()  # deliver, with the extra providers
    return api, pipeline


def send(api: Api, pipeline: Pipeline, message: dict[str, Any]) -> dict[str, Any]:
    response = call(api, "POST", "/send", {"message": message})
    assert response.status == 202, response.body
    pipeline.drain()
    return dict(call(api, "GET", f"/messages/{response.body['requestId']}").body)


CONTENT = {"title": "Hi {{name}}", "body": "Code {{code}}"}


def test_a_user_id_is_resolved_through_the_stored_profile() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com", "name": "Ada"}})
    message = send(
        api, pipeline, {"to": {"user_id": "ada"}, "content": CONTENT, "data": {"code": 7}}
    )
    assert (message["status"], message["recipient"]) == ("SENT", "ada@example.com")
    sent = pipeline.email.sent[-1]
    assert sent.recipient["email"] == "ada@example.com"
    assert sent.rendered["subject"] == "Hi "  # data, not the profile, fills variables...
    assert sent.rendered["text"] == "Code 7"


def test_the_profile_is_reachable_in_templates_and_the_message_address_wins() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "old@example.com", "name": "Ada"}})
    content = {"title": "Hi {{profile.name}}", "body": "x"}
    message = send(
        api, pipeline, {"to": {"user_id": "ada", "email": "new@example.com"}, "content": content}
    )
    assert message["recipient"] == "new@example.com"
    assert pipeline.email.sent[-1].rendered["subject"] == "Hi Ada"


def test_a_user_without_a_profile_or_address_is_unroutable() -> None:
    api, pipeline = make_api()
    message = send(api, pipeline, {"to": {"user_id": "ghost"}, "content": CONTENT})
    assert (message["status"], message["reason"]) == ("UNROUTABLE", "NO_CHANNELS")


def test_a_list_send_fans_out_to_every_subscriber_in_chunks() -> None:
    api, pipeline = make_api()
    for n in range(250):
        call(api, "POST", f"/profiles/u{n:03d}", {"profile": {"email": f"u{n}@example.com"}})
    recipients = [{"recipientId": f"u{n:03d}"} for n in range(250)]
    call(api, "POST", "/lists/all-users/subscriptions", {"recipients": recipients})
    response = call(
        api, "POST", "/send", {"message": {"to": {"list_id": "all-users"}, "content": CONTENT}}
    )
    request_id = response.body["requestId"]
    pipeline.drain()
    parent = call(api, "GET", f"/messages/{request_id}").body
    assert (parent["status"], parent["recipient"]) == ("FANNED_OUT", "list:all-users")
    history = call(api, "GET", f"/messages/{request_id}/history").body["results"]
    chunks = [h for h in history if h["type"] == "FANNED_OUT"]
    assert [c["data"]["created"] for c in chunks] == [100, 100, 50]
    assert len(pipeline.email.sent) == 250
    # The list shows the subscribers' messages, not the send's own record.
    listed = call(api, "GET", "/messages", requestId=request_id, limit="100").body["results"]
    assert len(listed) == 100 and request_id not in {m["id"] for m in listed}
    assert sorted(d.recipient["email"] for d in pipeline.email.sent) == sorted(
        f"u{n}@example.com" for n in range(250)
    )


def test_a_list_sends_record_is_written_at_most_once_a_second() -> None:
    api, pipeline = make_api()
    recipients = [{"recipientId": f"u{n:03d}"} for n in range(250)]
    call(api, "POST", "/lists/all-users/subscriptions", {"recipients": recipients})
    request_id = call(
        api, "POST", "/send", {"message": {"to": {"list_id": "all-users"}, "content": CONTENT}}
    ).body["requestId"]
    # Each chunk comes 300 ms after the record's last write: it waits the rest of the second.
    record = ("ws1", request_id)
    pipeline.render.fanouts.clock = lambda: (
        (pipeline.messages.messages[record].updated_ms or 0) + 300
    )
    pipeline.drain()
    assert pipeline.fanout_waits == [0.7, 0.7, 0.7]  # three chunks; the last event waits for none


def test_a_fan_out_event_delivered_twice_creates_no_duplicates() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/lists/l/subscriptions", {"recipients": [{"recipientId": "a"}]})
    call(api, "POST", "/profiles/a", {"profile": {"email": "a@example.com"}})
    request_id = call(
        api, "POST", "/send", {"message": {"to": {"list_id": "l"}, "content": CONTENT}}
    ).body["requestId"]
    first = pipeline.messages.outbox[-1]
    pipeline.drain()
    pipeline.consumers["render"](first)  # the enqueued event again
    pipeline.drain()
    assert len(pipeline.email.sent) == 1
    assert call(api, "GET", f"/messages/{request_id}").body["status"] == "FANNED_OUT"


def test_a_missing_list_ends_undeliverable() -> None:
    api, pipeline = make_api()
    message = send(api, pipeline, {"to": {"list_id": "nope"}, "content": CONTENT})
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "FAILED")


def test_more_than_a_hundred_recipients_fan_out_in_the_pipeline() -> None:
    api, pipeline = make_api()
    to = [{"email": f"r{n}@example.com"} for n in range(150)]
    response = call(api, "POST", "/send", {"message": {"to": to, "content": CONTENT}})
    pipeline.drain()
    request = call(api, "GET", f"/requests/{response.body['requestId']}").body
    assert len(request["messages"]) == 1  # the fan-out record; its messages come after
    assert len(pipeline.email.sent) == 150


def test_nested_routing_fails_over_to_a_group_sent_on_all_its_channels() -> None:
    sms = FakeProvider("fake-sms", "sms")
    push = FakeProvider("fake-push", "push")
    api, pipeline = with_channels(sms, push)
    pipeline.email.fail_with = RetryableProviderError("down")
    pipeline.email.fail_before_handoff = True
    routing = {
        "method": "single",
        "channels": ["email", {"method": "all", "channels": ["sms", "push"]}],
    }
    to = {"email": "a@example.com", "phone_number": "+14155550100", "firebaseToken": "tok"}
    response = call(
        api, "POST", "/send", {"message": {"to": to, "content": CONTENT, "routing": routing}}
    )
    pipeline.drain()
    assert (sms.calls, push.calls) == (0, 0)  # email is retried first, not failed over yet
    pipeline.email.fail_with = None
    pipeline.email.outcome = ChannelOutcome.FAILED
    for _ in range(10):
        if not pipeline.fire_timers():
            break
    message = call(api, "GET", f"/messages/{response.body['requestId']}").body
    assert message["channels"] == ["email", "sms", "push"]
    assert message["status"] == "SENT"


def test_single_routing_stops_at_the_first_channel_that_takes_it() -> None:
    sms = FakeProvider("fake-sms", "sms")
    api, pipeline = with_channels(sms)
    routing = {
        "method": "single",
        "channels": [{"method": "all", "channels": ["sms", "email"]}, "webhook"],
    }
    to = {
        "email": "a@example.com",
        "phone_number": "+14155550100",
        "webhook": "https://h.example/x",
    }
    message = send(api, pipeline, {"to": to, "content": CONTENT, "routing": routing})
    assert message["status"] == "SENT"
    assert (sms.calls, len(pipeline.email.sent), pipeline.webhook.calls) == (1, 1, 0)


def test_channel_provider_overrides_choose_the_providers() -> None:
    backup = FakeProvider("sendgrid", "email")
    api, pipeline = with_channels(backup)
    channels = {"email": {"providers": ["sendgrid"]}}
    message = send(
        api, pipeline, {"to": {"email": "a@example.com"}, "content": CONTENT, "channels": channels}
    )
    assert message["providers"][0]["provider"] == "sendgrid"
    assert (len(backup.sent), len(pipeline.email.sent)) == (1, 0)


def test_a_stored_template_renders_per_channel_with_its_routing() -> None:
    api, pipeline = make_api()
    template = {
        "content": {"title": "Default {{name}}", "body": "default"},
        "channels": {"email": {"title": "Mail for {{name}}", "body": "{{#if vip}}VIP {{/if}}body"}},
        "routing": {"method": "single", "channels": ["email"]},
    }
    assert call(api, "PUT", "/templates/welcome", template).status == 200
    message = send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "template": "welcome",
            "data": {"name": "Ada", "vip": True},
        },
    )
    assert message["status"] == "SENT"
    assert pipeline.email.sent[-1].rendered["subject"] == "Mail for Ada"
    assert pipeline.email.sent[-1].rendered["text"] == "VIP body"


def test_a_template_with_bad_syntax_is_refused_when_saved() -> None:
    api, _ = make_api()
    refused = call(api, "PUT", "/templates/t", {"content": {"title": "{{#if x}}", "body": "b"}})
    assert refused.status == 400
    assert refused.body["errors"][0]["field"] == "content.title"
    assert "line 1" in refused.body["errors"][0]["reason"]


def test_a_template_deleted_after_the_send_ends_undeliverable_unpublished() -> None:
    api, pipeline = make_api()
    call(api, "PUT", "/templates/gone", {"content": CONTENT})
    response = call(
        api, "POST", "/send", {"message": {"to": {"email": "a@example.com"}, "template": "gone"}}
    )
    assert response.status == 202, response.body
    assert call(api, "DELETE", "/templates/gone").status == 204
    pipeline.drain()
    message = call(api, "GET", f"/messages/{response.body['requestId']}").body
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "UNPUBLISHED")


def test_an_opted_out_user_ends_undeliverable_unsubscribed_before_any_provider() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    call(api, "PUT", "/preferences/topics/news", {"topic_name": "News"})
    call(api, "PUT", "/users/ada/preferences/news", {"topic": {"status": "OPTED_OUT"}})
    message = send(
        api,
        pipeline,
        {
            "to": {"user_id": "ada"},
            "content": CONTENT,
            "preferences": {"subscription_topic_id": "news"},
        },
    )
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "UNSUBSCRIBED")
    assert pipeline.email.calls == 0


def test_a_required_topic_reaches_even_a_user_who_tried_to_opt_out_earlier() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    call(api, "PUT", "/users/ada/preferences/security", {"topic": {"status": "OPTED_OUT"}})
    call(api, "PUT", "/preferences/topics/security", {"default_status": "REQUIRED"})
    message = send(
        api,
        pipeline,
        {
            "to": {"user_id": "ada"},
            "content": CONTENT,
            "preferences": {"subscription_topic_id": "security"},
        },
    )
    assert message["status"] == "SENT"


def test_an_opt_in_topic_needs_the_user_to_opt_in() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/ada", {"profile": {"email": "ada@example.com"}})
    call(api, "PUT", "/preferences/topics/beta", {"default_status": "OPTED_OUT"})
    preferences = {"subscription_topic_id": "beta"}
    first = send(
        api, pipeline, {"to": {"user_id": "ada"}, "content": CONTENT, "preferences": preferences}
    )
    assert (first["status"], first["reason"]) == ("UNDELIVERABLE", "OPT_IN_REQUIRED")
    call(api, "PUT", "/users/ada/preferences/beta", {"topic": {"status": "OPTED_IN"}})
    second = send(
        api, pipeline, {"to": {"user_id": "ada"}, "content": CONTENT, "preferences": preferences}
    )
    assert second["status"] == "SENT"


def test_custom_routing_and_topic_channels_narrow_the_channels() -> None:
    sms = FakeProvider("fake-sms", "sms")
    api, pipeline = with_channels(sms)
    call(
        api,
        "POST",
        "/profiles/ada",
        {"profile": {"email": "a@example.com", "phone_number": "+14155550100"}},
    )
    call(api, "PUT", "/preferences/topics/alerts", {"allowed_channels": ["sms", "email"]})
    call(
        api,
        "PUT",
        "/users/ada/preferences/alerts",
        {"topic": {"status": "OPTED_IN", "has_custom_routing": True, "custom_routing": ["sms"]}},
    )
    message = send(
        api,
        pipeline,
        {
            "to": {"user_id": "ada"},
            "content": CONTENT,
            "preferences": {"subscription_topic_id": "alerts"},
        },
    )
    assert message["channels"] == ["sms"]
    assert (sms.calls, pipeline.email.calls) == (1, 0)


def test_elemental_content_with_a_brand_renders_an_email_layout() -> None:
    api, pipeline = make_api()
    brand = {
        "id": "acme",
        "name": "Acme",
        "settings": {
            "colors": {"primary": "#ff5500"},
            "email": {"header": {"logo": {"image": "https://acme.example/logo.png"}}},
        },
    }
    assert call(api, "POST", "/brands", brand).status == 200
    content = {
        "version": "2022-01-01",
        "elements": [
            {"type": "meta", "title": "Welcome {{name}}"},
            {"type": "text", "content": "Hello {{name}}"},
            {"type": "action", "content": "Open", "href": "https://acme.example/app"},
        ],
    }
    message = send(
        api,
        pipeline,
        {
            "to": {"email": "a@example.com"},
            "content": content,
            "data": {"name": "Ada"},
            "brand_id": "acme",
        },
    )
    assert message["status"] == "SENT"
    email = pipeline.email.sent[-1].rendered
    assert email["subject"] == "Welcome Ada"
    assert "Hello Ada" in email["text"]
    assert "https://acme.example/logo.png" in email["html"]
    assert "#ff5500" in email["html"]


def test_a_missing_brand_ends_undeliverable() -> None:
    api, pipeline = make_api()
    message = send(
        api, pipeline, {"to": {"email": "a@example.com"}, "content": CONTENT, "brand_id": "nope"}
    )
    assert (message["status"], message["reason"]) == ("UNDELIVERABLE", "FAILED")


def test_tags_event_and_utm_are_stored_and_tags_are_searchable() -> None:
    api, pipeline = make_api()
    metadata = {"tags": ["onboarding", "v2"], "event": "signup", "utm": {"source": "herald"}}
    message = send(
        api, pipeline, {"to": {"email": "a@example.com"}, "content": CONTENT, "metadata": metadata}
    )
    assert message["tags"] == ["onboarding", "v2"]
    found = call(api, "GET", "/messages", tag="onboarding").body["results"]
    assert [m["id"] for m in found] == [message["id"]]
    stored = pipeline.messages.get_message("ws1", message["id"])
    assert stored is not None and (stored.event, stored.utm) == ("signup", {"source": "herald"})


def test_brands_are_created_read_replaced_and_deleted() -> None:
    api, _ = make_api()
    created = call(
        api, "POST", "/brands", {"name": "Acme", "settings": {"colors": {"primary": "#112233"}}}
    )
    brand_id = created.body["id"]
    assert call(api, "GET", f"/brands/{brand_id}").body["name"] == "Acme"
    replaced = call(api, "PUT", f"/brands/{brand_id}", {"name": "Acme 2"})
    assert (replaced.body["name"], replaced.body["created"]) == ("Acme 2", created.body["created"])
    assert [b["id"] for b in call(api, "GET", "/brands").body["results"]] == [brand_id]
    bad = call(api, "POST", "/brands", {"name": "x", "settings": {"colors": {"primary": "red;x"}}})
    assert (bad.status, bad.body["errors"][0]["field"]) == (400, "settings.colors.primary")
    assert call(api, "DELETE", f"/brands/{brand_id}").status == 204
    assert call(api, "GET", f"/brands/{brand_id}").status == 404


def test_the_same_list_twice_is_sent_once_and_with_other_data_refused() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/profiles/a", {"profile": {"email": "a@example.com"}})
    call(api, "POST", "/lists/l/subscriptions", {"recipients": [{"recipientId": "a"}]})
    to = [{"list_id": "l"}, {"list_id": "l", "data": {"v": 2}}, {"list_id": "l"}]
    refused = call(api, "POST", "/send", {"message": {"to": to, "content": CONTENT}})
    assert refused.body["errors"][0]["field"] == "message.to[1].list_id"
    to = [{"list_id": "l"}, {"list_id": "l"}]
    response = call(api, "POST", "/send", {"message": {"to": to, "content": CONTENT}})
    pipeline.drain()
    request = call(api, "GET", f"/requests/{response.body['requestId']}").body
    assert len(request["messages"]) == 1
    assert len(pipeline.email.sent) == 1


def test_large_content_is_fanned_out_in_chunks_that_fit_one_commit() -> None:
    api, pipeline = make_api()
    # 60 of these outweigh one Firestore commit.
    big = {"title": "t" * 90_000, "body": "x" * 90_000}
    to = [{"email": f"r{n}@example.com"} for n in range(60)]
    response = call(api, "POST", "/send", {"message": {"to": to, "content": big}})
    request_id = response.body["requestId"]
    pipeline.drain()
    history = call(api, "GET", f"/messages/{request_id}/history").body["results"]
    created = [h["data"]["created"] for h in history if h["type"] == "FANNED_OUT"]
    assert sum(created) == 60 and max(created) * 180_000 < 8 * 1024 * 1024
    assert len(pipeline.email.sent) == 60


def test_canceling_a_list_send_stops_its_fan_out_and_stays_out_of_the_list() -> None:
    api, pipeline = make_api()
    call(api, "POST", "/lists/l/subscriptions", {"recipients": [{"recipientId": "a"}]})
    response = call(api, "POST", "/send", {"message": {"to": {"list_id": "l"}, "content": CONTENT}})
    request_id = response.body["requestId"]
    canceled = call(api, "POST", f"/messages/{request_id}/cancel")
    assert (canceled.status, canceled.body["status"]) == (200, "CANCELED")
    pipeline.drain()
    assert pipeline.email.calls == 0
    assert call(api, "GET", "/messages").body["results"] == []


def test_utm_parameters_are_added_to_the_email_links_but_never_replace_the_links_own() -> None:
    api, pipeline = make_api()
    content = {
        "version": "2022-01-01",
        "elements": [
            {
                "type": "action",
                "content": "Shop",
                "href": "https://shop.example/deals?utm_medium=own",
            },
            {"type": "text", "content": "[Help](mailto:help@shop.example)", "format": "markdown"},
        ],
    }
    metadata = {"utm": {"source": "herald", "medium": "email", "campaign": "spring"}}
    message = send(
        api, pipeline, {"to": {"email": "a@example.com"}, "content": content, "metadata": metadata}
    )
    assert message["status"] == "SENT"
    html = pipeline.email.sent[-1].rendered["html"]
    assert (
        "https://shop.example/deals?utm_medium=own&amp;utm_source=herald&amp;utm_campaign=spring"
        in html
    )
    assert 'href="mailto:help@shop.example"' in html
