"""Idempotency-Key on the API's POSTs, through ``Api.handle`` with in-memory fakes."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from herald.api.http import Api, Context, HttpRequest, HttpResponse, Router
from herald.api.idempotency import IdempotentPosts
from herald.api.routes import build_router
from herald.entrypoints import http as entrypoint
from herald.errors import ValidationFailed
from herald.idempotency.base import IdempotencyKey, StoredResponse
from herald.idempotency.keys import body_hash
from herald.idempotency.memory import InMemoryIdempotencyStore
from herald.ids import hash_api_key
from herald.observability import metrics, tracing
from tests.unit.fakes import Pipeline

KEY = "hk_test_key"
NOW = 1_900_000_000.0
DAY_S = 24 * 3600.0
SEND = {"message": {"to": {"email": "ada@example.com"}, "content": {"title": "T", "body": "B"}}}


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    """An API over in-memory services, plus a ``/probe`` route whose answers a test scripts."""

    clock: Clock = field(default_factory=Clock)
    store: InMemoryIdempotencyStore = field(default_factory=InMemoryIdempotencyStore)
    pipeline: Pipeline = field(default_factory=Pipeline)
    probe_answers: list[Callable[[Context], HttpResponse]] = field(default_factory=list)
    probe_runs: int = 0

    def __post_init__(self) -> None:
        self.pipeline.keys.put(hash_api_key(KEY), "ws1")
        self.pipeline.keys.put(hash_api_key("other-key"), "ws2")
        probe = Router()
        probe.post("/probe", summary="Probe", tag="Test", answers=())(self._probe)
        router = build_router()
        router.include(probe)
        self.api = Api(
            router,
            self.pipeline.keys,
            self.pipeline.services,
            IdempotentPosts(self.store, clock=self.clock, lease_s=60),
        )

    def _probe(self, ctx: Context) -> HttpResponse:
        self.probe_runs += 1
        return self.probe_answers.pop(0)(ctx)

    def post(
        self,
        path: str = "/send",
        body: Any = SEND,
        key: str | None = "order-42",
        api_key: str = KEY,
        **headers: str,
    ) -> HttpResponse:
        sent = {"Authorization": f"Bearer {api_key}", **headers}
        if key is not None:
            sent["Idempotency-Key"] = key
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.api.handle(HttpRequest("POST", path, sent, raw))

    def requests_stored(self) -> int:
        return len({m.request_id for m in self.pipeline.messages.messages.values()})


def test_the_first_answer_is_stored_and_a_retry_replays_it_without_sending_again() -> None:
    h = Harness()
    first = h.post()
    assert first.status == 202 and "Idempotent-Replayed" not in first.headers
    h.clock.now += 3600
    again = h.post()
    assert (again.status, again.body) == (202, first.body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert h.requests_stored() == 1


def test_the_body_is_compared_as_canonical_json() -> None:
    h = Harness()
    first = h.post(
        body=b'{"message": {"content": {"title": "T", "body": "B"},\n'
        b' "to": {"email": "ada@example.com"}}}'
    )
    again = h.post(body=json.dumps(SEND, separators=(",", ":")).encode())
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.body == first.body
    assert body_hash(b"not json") != body_hash(b"not json ")


def test_the_same_key_with_another_body_is_422_and_sends_nothing() -> None:
    h = Harness()
    h.post()
    other = {"message": {**SEND["message"], "to": {"email": "bob@example.com"}}}
    response = h.post(body=other)
    assert response.status == 422
    assert response.body["type"] == "idempotency_error"
    assert response.body["errors"] == [
        {"field": "body", "reason": "differs from the key's first request"}
    ]
    assert h.requests_stored() == 1


def test_a_duplicate_while_the_first_is_in_flight_is_409_with_retry_after() -> None:
    h = Harness()
    duplicates: list[HttpResponse] = []

    def first_run(ctx: Context) -> HttpResponse:
        duplicates.append(h.post("/probe", {"n": 1}))  # arrives while this one runs
        return HttpResponse(201, {"id": "p1"})

    h.probe_answers.append(first_run)
    assert h.post("/probe", {"n": 1}).status == 201
    [duplicate] = duplicates
    assert duplicate.status == 409
    assert duplicate.headers["Retry-After"] == "1"
    assert duplicate.body["type"] == "idempotency_error"
    assert h.probe_runs == 1
    assert h.post("/probe", {"n": 1}).headers["Idempotent-Replayed"] == "true"


def test_keys_over_255_characters_or_empty_are_400_naming_the_header() -> None:
    h = Harness()
    for key, reason in (("k" * 256, "is 256 characters long; the most is 255"), ("  ", "is empty")):
        response = h.post(key=key)
        assert response.status == 400
        assert response.body["errors"][0]["field"] == "Idempotency-Key"
        assert response.body["errors"][0]["reason"].startswith(reason)
    assert h.requests_stored() == 0
    assert h.post(key="k" * 255).status == 202


def at(days: float) -> float:
    return NOW + days * DAY_S


@pytest.mark.parametrize(
    ("header", "replayed_until_days"),
    [
        (str(int(at(3))), 3),  # Unix seconds
        (str(int(at(3) * 1000)), 3),  # Unix milliseconds, as Courier documents
        (datetime.datetime.fromtimestamp(at(3), datetime.UTC).isoformat(), 3),
        (datetime.datetime.fromtimestamp(at(3), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), 3),
        (str(int(at(400))), 30),  # capped at 30 days
        (str(int(NOW - 10)), 1),  # at least Courier's 24 hours
    ],
)
def test_x_idempotency_expiration_sets_how_long_the_answer_replays(
    header: str, replayed_until_days: float
) -> None:
    h = Harness()
    first = h.post(**{"x-idempotency-expiration": header})
    h.clock.now = at(replayed_until_days) - 1
    assert h.post().body == first.body  # the header is read once, on the first request
    h.clock.now = at(replayed_until_days)
    fresh = h.post()
    assert fresh.status == 202 and "Idempotent-Replayed" not in fresh.headers
    assert h.requests_stored() == 2


@pytest.mark.parametrize("header", ["tomorrow", "2030-01-01T00:00:00", "-5", "nan", ""])
def test_a_garbled_expiration_is_400_naming_the_header(header: str) -> None:
    h = Harness()
    response = h.post(**{"x-idempotency-expiration": header})
    assert response.status == 400
    assert response.body["errors"][0]["field"] == "x-idempotency-expiration"
    assert h.requests_stored() == 0


def test_a_5xx_is_not_stored_so_the_retry_runs_again() -> None:
    h = Harness()

    def crash(ctx: Context) -> HttpResponse:
        raise RuntimeError("firestore unavailable")

    h.probe_answers += [crash, lambda ctx: HttpResponse(201, {"id": "p2"})]
    assert h.post("/probe", {"n": 1}).status == 500
    retried = h.post("/probe", {"n": 1})
    assert (retried.status, retried.body) == (201, {"id": "p2"})
    assert "Idempotent-Replayed" not in retried.headers
    assert h.probe_runs == 2


@pytest.mark.parametrize("status", [409, 429, 503])
def test_answers_that_say_try_again_are_not_stored(status: int) -> None:
    h = Harness()
    h.probe_answers += [
        lambda ctx: HttpResponse(status, {"type": "x", "message": "later"}, {"Retry-After": "5"}),
        lambda ctx: HttpResponse(201, {"id": "p3"}),
    ]
    assert h.post("/probe", {}).status == status
    assert h.post("/probe", {}).status == 201
    assert h.probe_runs == 2


def test_a_4xx_from_the_handler_is_stored_and_replayed_with_its_headers() -> None:
    h = Harness()

    def refuse(ctx: Context) -> HttpResponse:
        raise ValidationFailed.of("n", "must be 2")

    h.probe_answers += [refuse, lambda ctx: HttpResponse(404, {}, {"x-why": "gone"})]
    first = h.post("/probe", {"n": 1})
    again = h.post("/probe", {"n": 1})
    assert (first.status, again.status) == (400, 400)
    assert again.body == first.body and again.headers == {"Idempotent-Replayed": "true"}
    h.post("/probe", {"n": 1}, key="other")
    assert h.post("/probe", {"n": 1}, key="other").headers == {
        "x-why": "gone",
        "Idempotent-Replayed": "true",
    }
    assert h.probe_runs == 2


def test_a_crashed_holder_blocks_retries_only_until_its_lease_runs_out() -> None:
    h = Harness()
    # What a holder that died mid-request leaves behind: an in-flight claim.
    scope = IdempotencyKey("ws1", "POST", "/send", "order-42")
    h.store.claim(
        scope, body_hash(json.dumps(SEND).encode()), now=NOW, lease_s=60, expires_at=at(1)
    )
    h.clock.now = NOW + 59
    assert h.post().status == 409
    h.clock.now = NOW + 60
    taken_over = h.post()
    assert taken_over.status == 202 and "Idempotent-Replayed" not in taken_over.headers
    assert h.post().body == taken_over.body
    assert h.requests_stored() == 1


def test_keys_are_per_workspace_and_path_and_only_posts_use_them() -> None:
    h = Harness()
    ours = h.post()
    theirs = h.post(api_key="other-key")
    assert theirs.status == 202 and theirs.body != ours.body
    h.probe_answers.append(lambda ctx: HttpResponse(201, {}))
    assert h.post("/probe", SEND).status == 201  # same key and body, another path
    request_id = ours.body["requestId"]
    read = h.api.handle(
        HttpRequest(
            "GET",
            f"/messages/{request_id}",
            {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k" * 300},
        )
    )
    assert read.status == 200 and "Idempotent-Replayed" not in read.headers
    assert len(h.store.records) == 3


def test_requests_without_a_key_or_with_a_bad_api_key_store_nothing() -> None:
    h = Harness()
    assert h.post(key=None).status == 202
    assert h.post(key=None).status == 202
    assert h.post(api_key="wrong").status == 401
    assert h.store.records == {}
    assert h.requests_stored() == 2


class FailingCompleteStore(InMemoryIdempotencyStore):
    def complete(self, claim: Any, response: StoredResponse) -> None:
        raise RuntimeError("firestore unavailable")


def test_a_response_that_could_not_be_stored_is_still_answered() -> None:
    h = Harness(store=FailingCompleteStore())
    assert h.post().status == 202  # not a 500 that would invite a second send
    assert h.requests_stored() == 1


def test_a_holder_that_outlives_its_lease_answers_but_keeps_the_retrys_record() -> None:
    h = Harness()
    takeovers: list[HttpResponse] = []

    def slow(ctx: Context) -> HttpResponse:
        h.clock.now += 61  # past the lease: the client's retry takes the key over
        takeovers.append(h.post("/probe", {"n": 1}))
        return HttpResponse(201, {"id": "slow"})

    h.probe_answers += [slow, lambda ctx: HttpResponse(201, {"id": "retry"})]
    assert h.post("/probe", {"n": 1}).body == {"id": "slow"}
    assert takeovers[0].body == {"id": "retry"}
    assert h.post("/probe", {"n": 1}).body == {"id": "retry"}
    assert h.probe_runs == 2


def test_herald_trace_finds_the_sends_span_by_request_id_and_not_its_replays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness()
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    monkeypatch.setattr(tracing, "configure", lambda function: None)
    monkeypatch.setattr(metrics, "configure", lambda function: None)
    monkeypatch.setattr(tracing, "tracer", lambda: provider.get_tracer("test"))
    request = HttpRequest(
        "POST", "/send", {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k1"}
    )
    body = json.dumps(SEND).encode()
    first, replay = (
        entrypoint.serve(h.api, request, io.BytesIO(body), len(body)) for _ in range(2)
    )
    assert first.body == replay.body
    sent, replayed = (dict(span.attributes or {}) for span in spans.get_finished_spans())
    assert sent["herald.request_id"] == first.body["requestId"]
    assert "herald.idempotent_replay" not in sent
    assert replayed["herald.idempotent_replay"] is True
    assert "herald.request_id" not in replayed
