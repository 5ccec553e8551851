"""Customer webhooks: endpoints through the API, signed message:updated posts, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from standardwebhooks import Webhook

from herald.clock import now_ms
from herald.events.registry import spec_for
from herald.pipeline.customer_webhooks.deliveries import (
    Deliveries,
    Delivery,
    DeliveryState,
    delivery_path,
)
from herald.pipeline.customer_webhooks.observer import (
    RETRY_BACKOFF,
    RETRY_HORIZON_S,
    next_try_ms,
    timer_owner,
)
from herald.pipeline.customer_webhooks.sender import HttpSender, PostOutcome
from herald.store.base import WorkspaceSettings
from tests.unit.fakes import Pipeline
from tests.unit.test_api import SEND, call, make_api

ENDPOINT = {"url": "https://hooks.example.com/herald", "description": "ops"}


def register(api: Any, body: dict[str, Any] = ENDPOINT) -> dict[str, Any]:
    response = call(api, "POST", "/webhooks/endpoints", body)
    assert response.status == 201, response.body
    endpoint: dict[str, Any] = response.body
    return endpoint


def send_and_drain(api: Any, pipeline: Pipeline) -> str:
    response = call(api, "POST", "/send", SEND)
    pipeline.drain()
    request_id: str = response.body["requestId"]
    return request_id


def deliveries_of(pipeline: Pipeline, endpoint_id: str) -> list[Delivery]:
    found, _ = Deliveries(pipeline.documents).page("ws1", endpoint_id, None)
    return found


def make_due(pipeline: Pipeline, delivery: Delivery, first_try_ago_s: float = 0) -> None:
    """As if the backoff were over (and the first try ``first_try_ago_s`` ago)."""

    def due(current: dict[str, Any] | None) -> dict[str, Any]:
        assert current is not None
        first = current["first_try_ms"] - int(first_try_ago_s * 1000)
        return {**current, "next_try_ms": now_ms() - 1, "first_try_ms": first}

    pipeline.documents.update("ws1", delivery_path(delivery.endpoint_id, delivery.id), due)


def fire_webhook_timers(pipeline: Pipeline) -> int:
    entries = [
        e for e in pipeline.timers.entries.values() if e.envelope.type == "webhook.retry_due"
    ]
    for entry in entries:
        pipeline.timers.remove(entry)
        pipeline.consumers["webhooks"](entry.envelope)
    return len(entries)


def test_an_endpoint_is_registered_with_its_secret_shown_once() -> None:
    api, _ = make_api()
    endpoint = register(api)
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["events"] == ["message:updated"] and endpoint["enabled"] is True
    shown = call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}").body
    assert "secret" not in shown and shown["url"] == ENDPOINT["url"]
    listed = call(api, "GET", "/webhooks/endpoints").body["results"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    rotated = call(api, "POST", f"/webhooks/endpoints/{endpoint['id']}/rotate-secret").body
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    assert call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}", key="other-key").status == 404
    assert call(api, "DELETE", f"/webhooks/endpoints/{endpoint['id']}").status == 204
    assert call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.com"}, "url"),
        ({"url": "https://user:pw@hooks.example.com"}, "url"),
        ({"url": "https://hooks.example.com", "events": ["message:deleted"]}, "events"),
        ({"url": "https://hooks.example.com", "events": []}, "events"),
        ({"url": "https://hooks.example.com", "colour": "red"}, "colour"),
        ({}, "url"),
    ],
)
def test_bad_endpoints_get_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    api, _ = make_api()
    response = call(api, "POST", "/webhooks/endpoints", body)
    assert response.status == 400
    assert response.body["errors"][0]["field"] == field, response.body


def test_each_status_change_posts_message_updated_signed_both_ways() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    request_id = send_and_drain(api, pipeline)
    posts = pipeline.customer_endpoints.posts
    bodies = [json.loads(p.body) for p in posts]
    assert [b["type"] for b in bodies] == ["message:updated", "message:updated"]
    # The message as it is when the event is handled: here render has routed it already.
    assert [b["data"]["status"] for b in bodies] == ["ROUTED", "SENT"]
    assert bodies[1]["data"] == call(api, "GET", f"/messages/{request_id}").body
    for post in posts:
        assert post.url == ENDPOINT["url"]
        # Standard Webhooks, verified by its reference library.
        assert Webhook(endpoint["secret"]).verify(post.body, post.headers) is not None
        # Courier: t in milliseconds, hex HMAC-SHA256 of "t.body" keyed with the secret.
        t, signature = (
            part.split("=", 1)[1] for part in post.headers["courier-signature"].split(",")
        )
        expected = hmac.new(
            endpoint["secret"].encode(), t.encode() + b"." + post.body, hashlib.sha256
        ).hexdigest()
        assert signature == expected
        assert abs(int(t) - int(post.headers["webhook-timestamp"]) * 1000) < 1000


def test_a_redelivered_event_posts_nothing_twice() -> None:
    api, pipeline = make_api()
    register(api)
    send_and_drain(api, pipeline)
    sent = len(pipeline.customer_endpoints.posts)
    for event in pipeline.messages.outbox:
        if "webhooks" in spec_for(event.type).consumers:
            pipeline.consumers["webhooks"](event)
    assert len(pipeline.customer_endpoints.posts) == sent == 2


def test_disabled_and_unsubscribed_endpoints_and_other_workspaces_get_nothing() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    disabled = call(api, "PUT", f"/webhooks/endpoints/{endpoint['id']}", {"enabled": False})
    assert disabled.body["disabled_reason"] == "disabled through the API"
    call(api, "POST", "/webhooks/endpoints", ENDPOINT, key="other-key")
    send_and_drain(api, pipeline)
    assert pipeline.customer_endpoints.posts == []


def test_failures_retry_on_the_timer_with_backoff_until_the_endpoint_answers() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    failing = PostOutcome(500, "HTTP 500")
    # ENQUEUED's first try fails, SENT's succeeds, then ENQUEUED's retries: 500, 200.
    pipeline.customer_endpoints.answers = [failing, PostOutcome(200), failing]
    before = now_ms()
    send_and_drain(api, pipeline)
    [enqueued] = [d for d in deliveries_of(pipeline, endpoint["id"]) if d.state == "PENDING"]
    assert enqueued.next_try_ms is not None
    assert before + 30_000 <= enqueued.next_try_ms <= now_ms() + 30_000  # first backoff: 30 s
    assert enqueued.expires_at is not None  # for the TTL policy: kept 30 days
    kept_ms = round(enqueued.expires_at.timestamp() * 1000) - enqueued.created_ms
    assert kept_ms == 30 * 24 * 3600 * 1000
    # Only this consumer's timer, filed beside the message: the sweeper's stuck check is unmoved.
    [timer] = pipeline.timers.entries.values()
    assert timer.envelope.type == "webhook.retry_due"
    assert timer.message_id == timer_owner(enqueued.message_id)
    assert not pipeline.timers.pending("ws1", enqueued.message_id)
    assert fire_webhook_timers(pipeline) == 1  # not due yet: nothing is posted
    assert len(pipeline.customer_endpoints.posts) == 2
    for _ in range(2):
        make_due(pipeline, enqueued)
        pipeline.timers.schedule(timer)
        fire_webhook_timers(pipeline)
    [done] = [d for d in deliveries_of(pipeline, endpoint["id"]) if d.id == enqueued.id]
    assert done.state == DeliveryState.SUCCEEDED
    assert [a.status for a in done.attempts] == [500, 500, 200]
    shown = call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}/deliveries").body["results"]
    assert sorted(len(d["attempts"]) for d in shown) == [1, 3]
    assert "body" not in shown[0]


def test_the_backoff_doubles_from_30_s_to_an_hour_honours_retry_after_and_stops_at_3_days() -> None:
    delays = [RETRY_BACKOFF.delay_s(n) for n in (1, 2, 3, 7, 8, 20)]
    assert delays == [30, 60, 120, 1920, 3600, 3600]
    start = 1_000_000
    assert next_try_ms(RETRY_BACKOFF, start, start, 1) == start + 30_000
    assert next_try_ms(RETRY_BACKOFF, start, start, 1, retry_after_s=600) == start + 600_000
    late = start + RETRY_HORIZON_S * 1000 - 10_000
    assert next_try_ms(RETRY_BACKOFF, start, late, 20) is None


def test_a_429_retry_after_sets_the_next_try() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    pipeline.customer_endpoints.answers = [PostOutcome(429, "HTTP 429", retry_after_s=900)]
    send_and_drain(api, pipeline)
    [waiting] = [d for d in deliveries_of(pipeline, endpoint["id"]) if d.state == "PENDING"]
    assert waiting.next_try_ms is not None
    # Counted from the answer, which came within the second the try started.
    assert 900_000 <= waiting.next_try_ms - waiting.attempts[0].at_ms <= 901_000


def test_after_3_days_a_delivery_fails_and_repeated_failures_disable_the_endpoint() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    down = PostOutcome(None, "cannot connect")
    pipeline.customer_endpoints.answers = [down] * 100
    for _ in range(3):  # 3 messages: 6 deliveries, each failing its first try
        send_and_drain(api, pipeline)
    pending = deliveries_of(pipeline, endpoint["id"])
    assert len(pending) == 6 and all(d.state == "PENDING" for d in pending)
    for delivery in pending[:5]:
        make_due(pipeline, delivery, first_try_ago_s=RETRY_HORIZON_S)
        pipeline.customer_webhooks.try_delivery("ws1", endpoint["id"], delivery.id)
    states = {d.id: d for d in deliveries_of(pipeline, endpoint["id"])}
    assert [states[d.id].state for d in pending[:5]] == ["FAILED"] * 5
    assert states[pending[0].id].failure == "cannot connect"
    shown = call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}").body
    assert shown["enabled"] is False
    assert shown["disabled_reason"].startswith("5 deliveries in a row failed")
    # The sixth is not tried again: it fails, saying why.
    make_due(pipeline, pending[5])
    posts = len(pipeline.customer_endpoints.posts)
    pipeline.customer_webhooks.try_delivery("ws1", endpoint["id"], pending[5].id)
    assert len(pipeline.customer_endpoints.posts) == posts
    last = Deliveries(pipeline.documents).get("ws1", endpoint["id"], pending[5].id)
    assert last.state == "FAILED" and (last.failure or "").startswith("endpoint disabled")
    # Re-enabled through the API: a fresh start.
    enabled = call(api, "PUT", f"/webhooks/endpoints/{endpoint['id']}", {"enabled": True}).body
    assert (enabled["enabled"], enabled["consecutive_failures"], enabled["disabled_reason"]) == (
        True,
        0,
        None,
    )


def test_a_success_resets_the_failure_count() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    pipeline.customer_endpoints.answers = [PostOutcome(None, "refused", final=True)]
    send_and_drain(api, pipeline)
    shown = call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}").body
    assert shown["consecutive_failures"] == 0  # the SENT post after it succeeded


def test_a_replay_posts_the_same_body_again_freshly_signed() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    pipeline.customer_endpoints.answers = [PostOutcome(None, "refused", final=True)]
    send_and_drain(api, pipeline)
    [failed] = [d for d in deliveries_of(pipeline, endpoint["id"]) if d.state == "FAILED"]
    first = pipeline.customer_endpoints.posts[0]
    replayed = pipeline.customer_webhooks.replay("ws1", endpoint["id"], failed.id)
    again = pipeline.customer_endpoints.posts[-1]
    assert again.body == first.body and again.headers["webhook-id"] == failed.id
    assert Webhook(endpoint["secret"]).verify(again.body, again.headers) is not None
    assert replayed.state == DeliveryState.SUCCEEDED
    assert [(a.status, a.replay) for a in replayed.attempts] == [(None, False), (200, True)]
    shown = call(api, "GET", f"/webhooks/endpoints/{endpoint['id']}/deliveries/{failed.id}").body
    assert shown["state"] == "SUCCEEDED"


def test_a_replay_through_the_api_posts_through_the_composition_roots_sender() -> None:
    """With the deployment's allowance for private destinations only: the api reads no
    workspace settings."""
    api, pipeline = make_api()
    endpoint = register(api)
    pipeline.customer_endpoints.answers = [PostOutcome(None, "refused", final=True)]
    send_and_drain(api, pipeline)
    [failed] = [d for d in deliveries_of(pipeline, endpoint["id"]) if d.state == "FAILED"]
    pipeline.workspaces.save_settings("ws1", WorkspaceSettings(allow_private_destinations=True))
    posted = len(pipeline.customer_endpoints.posts)
    base = f"/webhooks/endpoints/{endpoint['id']}/deliveries"
    response = call(api, "POST", f"{base}/{failed.id}/replay")
    assert response.status == 200 and response.body["state"] == "SUCCEEDED"
    [replay] = pipeline.customer_endpoints.posts[posted:]
    assert (replay.url, replay.allow_private) == (ENDPOINT["url"], False)


def test_replay_refuses_unknown_deliveries_and_disabled_endpoints() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    base = f"/webhooks/endpoints/{endpoint['id']}/deliveries"
    assert call(api, "POST", f"{base}/msg_nope/replay").status == 404
    send_and_drain(api, pipeline)
    delivery = deliveries_of(pipeline, endpoint["id"])[0]
    call(api, "PUT", f"/webhooks/endpoints/{endpoint['id']}", {"enabled": False})
    response = call(api, "POST", f"{base}/{delivery.id}/replay")
    assert response.status == 400
    assert response.body["errors"] == [
        {"field": "endpoint", "reason": "is disabled; enable it before replaying"}
    ]


def test_private_destinations_are_refused_unless_the_workspace_allows_them() -> None:
    refused = HttpSender(timeout_s=1).post("http://127.0.0.1:9/hook", b"{}", {}, False)
    assert (refused.status, refused.final) == (None, True)
    assert "private or reserved" in (refused.error or "")
    api, pipeline = make_api()
    register(api)
    send_and_drain(api, pipeline)
    assert {p.allow_private for p in pipeline.customer_endpoints.posts} == {False}
    pipeline.workspaces.save_settings("ws1", WorkspaceSettings(allow_private_destinations=True))
    send_and_drain(api, pipeline)
    assert pipeline.customer_endpoints.posts[-1].allow_private is True


def test_a_timer_fired_a_little_early_still_tries_but_a_duplicate_long_before_does_not() -> None:
    api, pipeline = make_api()
    endpoint = register(api)
    pipeline.customer_endpoints.answers = [PostOutcome(500, "HTTP 500")]
    send_and_drain(api, pipeline)
    [waiting] = [d for d in deliveries_of(pipeline, endpoint["id"]) if d.state == "PENDING"]
    posts = len(pipeline.customer_endpoints.posts)
    pipeline.customer_webhooks.try_delivery("ws1", endpoint["id"], waiting.id)  # 30 s early
    assert len(pipeline.customer_endpoints.posts) == posts

    def almost_due(current: dict[str, Any] | None) -> dict[str, Any]:
        assert current is not None
        return {**current, "next_try_ms": now_ms() + 2_000}  # the sweep's clock ran ahead

    pipeline.documents.update("ws1", delivery_path(endpoint["id"], waiting.id), almost_due)
    pipeline.customer_webhooks.try_delivery("ws1", endpoint["id"], waiting.id)
    assert len(pipeline.customer_endpoints.posts) == posts + 1
    done = Deliveries(pipeline.documents).get("ws1", endpoint["id"], waiting.id)
    assert done.state == DeliveryState.SUCCEEDED
