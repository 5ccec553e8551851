"""Each workspace's quota on authenticated POSTs: counted per api instance, in memory."""

import io
import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from herald.api.http import HttpRequest
from herald.api.openapi import document
from herald.api.quotas import WorkspaceQuotas
from herald.api.routes import build_router
from herald.config import MAX_QUOTA_BURST, MAX_QUOTA_RATE
from herald.domain.testmode import namespace_for_test
from herald.entrypoints.http import serve
from herald.errors import ValidationFailed
from herald.ids import hash_api_key
from herald.observability import metrics, tracing
from herald.resources.quotas import IN_EFFECT_CACHE_S, QuotaSettings
from herald.store.base import WorkspaceQuota, WorkspaceSettings
from herald.store.memory import InMemoryWorkspaces
from tests.unit.fakes import settings_with
from tests.unit.test_api import KEY, SEND, call, make_api


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def quotas(rate: float, burst: int, **options: Any) -> tuple[WorkspaceQuotas, Clock]:
    clock = Clock()
    quota = WorkspaceQuota(rate=rate, burst=burst)
    return WorkspaceQuotas(lambda _workspace: quota, clock=clock, **options), clock


def test_the_headers_count_down_the_burst_then_a_refusal_says_when_to_retry() -> None:
    counter, clock = quotas(rate=0.5, burst=3)
    taken = [counter.take("ws1") for _ in range(4)]
    assert [d.allowed for d in taken] == [True, True, True, False]
    assert [d.headers()["X-RateLimit-Remaining"] for d in taken] == ["2", "1", "0", "0"]
    assert {d.headers()["X-RateLimit-Limit"] for d in taken} == {"3"}
    assert taken[0].headers()["X-RateLimit-Reset"] == "2"  # one token back at 0.5/s
    assert taken[2].headers()["X-RateLimit-Reset"] == "6"  # three
    assert "Retry-After" not in taken[2].headers()
    assert taken[3].headers()["Retry-After"] == "2"
    clock.now += 2.0
    assert counter.take("ws1").allowed


def test_a_wait_under_a_second_is_still_a_whole_second_to_retry_after() -> None:
    counter, _ = quotas(rate=10.0, burst=1)
    assert counter.take("ws1").allowed
    refused = counter.take("ws1")
    assert not refused.allowed and refused.retry_after_s == 1


def test_workspaces_have_buckets_of_their_own() -> None:
    counter, _ = quotas(rate=0.001, burst=2)
    assert [counter.take("flood").allowed for _ in range(3)] == [True, True, False]
    assert counter.take("calm").allowed


def test_with_instances_each_enforces_its_share_and_at_least_one_request() -> None:
    counter, _ = quotas(rate=8.0, burst=10, instances=4)
    assert counter.share(WorkspaceQuota(rate=8.0, burst=10)) == (2.0, 2)
    assert counter.share(WorkspaceQuota(rate=8.0, burst=3)) == (2.0, 1)
    assert [counter.take("ws1").allowed for _ in range(3)] == [True, True, False]


def test_a_changed_quota_applies_at_once_to_the_requests_left() -> None:
    clock = Clock()
    current = {"quota": WorkspaceQuota(rate=0.001, burst=3)}
    counter = WorkspaceQuotas(lambda _ws: current["quota"], clock=clock)
    assert counter.take("ws1").allowed  # two left
    current["quota"] = WorkspaceQuota(rate=0.001, burst=1)  # lower: at most one left
    assert [counter.take("ws1").allowed for _ in range(2)] == [True, False]
    current["quota"] = WorkspaceQuota(rate=1.0, burst=2)  # higher: fills at its rate
    assert not counter.take("ws1").allowed
    clock.now += 2.0
    assert [counter.take("ws1").allowed for _ in range(3)] == [True, True, False]
    assert counter.take("ws1").headers()["X-RateLimit-Limit"] == "2"


def test_setting_a_quota_back_and_forth_never_refills_the_bucket() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=3))
    statuses = []
    for burst in (3, 1, 3, 1, 3, 1):
        assert call(api, "PUT", "/quota", {"burst": burst}).status == 200
        statuses.append(call(api, "POST", "/send", SEND).status)
    assert statuses == [202, 202, 429, 429, 429, 429]  # 3, then at most 1 left, then none


def test_the_buckets_kept_are_bounded_the_oldest_forgotten_first() -> None:
    counter, _ = quotas(rate=0.001, burst=1, max_workspaces=2)
    for workspace in ("a", "b", "c"):
        counter.take(workspace)
    assert list(counter._buckets) == ["b", "c"]


def test_quotas_are_bounded() -> None:
    with pytest.raises(ValueError, match="rate"):
        WorkspaceQuota(rate=0, burst=1)
    with pytest.raises(ValueError, match="burst"):
        WorkspaceQuota(rate=1, burst=0)
    with pytest.raises(ValueError, match="burst"):
        WorkspaceQuota(rate=1, burst=MAX_QUOTA_BURST + 1)
    with pytest.raises(ValueError, match="rate"):
        WorkspaceQuota(rate=MAX_QUOTA_RATE * 1.01, burst=1)
    assert WorkspaceQuota(rate=MAX_QUOTA_RATE, burst=MAX_QUOTA_BURST).burst == MAX_QUOTA_BURST
    with pytest.raises(ValueError, match="quota_burst"):
        settings_with(quota_burst=0)


def test_20_rapid_sends_over_a_burst_of_5_are_5_accepted_then_429() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=5))
    answers = [call(api, "POST", "/send", SEND) for _ in range(20)]
    assert [a.status for a in answers] == [202] * 5 + [429] * 15
    refused = answers[5]
    assert refused.body["type"] == "rate_limit_error"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Limit"] == "5"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert answers[0].headers["X-RateLimit-Remaining"] == "4"
    # Another workspace, and reads of the same one, are not held back.
    assert call(api, "POST", "/send", SEND, key="other-key").status == 202
    assert call(api, "GET", "/messages").status == 200


def test_every_post_with_a_key_shares_the_one_bucket_and_other_methods_do_not_count() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=2))
    profile = {"profile": {"email": "ada@example.com"}}
    assert call(api, "POST", "/profiles/ada", profile).status == 200
    assert call(api, "PUT", "/profiles/ada", profile).status == 200  # not counted
    assert "X-RateLimit-Limit" not in call(api, "PUT", "/profiles/ada", profile).headers
    assert call(api, "POST", "/send", SEND).status == 202
    assert call(api, "POST", "/profiles/ada", profile).status == 429
    assert call(api, "DELETE", "/profiles/ada").status < 300  # not counted either


def test_a_workspace_quota_set_on_its_settings_wins_over_the_default() -> None:
    api, pipeline = make_api(settings_with(quota_rate=0.001, quota_burst=1))
    pipeline.workspaces.save_settings(
        "ws1", WorkspaceSettings(quota=WorkspaceQuota(rate=0.001, burst=3))
    )
    statuses = [call(api, "POST", "/send", SEND).status for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert [call(api, "POST", "/send", SEND, key="other-key").status for _ in range(2)] == [
        202,
        429,
    ]


def test_a_refusal_is_not_stored_as_the_idempotent_answer() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=1))
    assert api.quotas is not None
    clock = Clock()
    api.quotas.clock = clock
    assert call(api, "POST", "/send", SEND).status == 202
    keyed = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "once"}
    request = HttpRequest("POST", "/send", keyed, json.dumps(SEND).encode())
    assert api.handle(request).status == 429
    clock.now += 1000.0
    assert api.handle(request).status == 202


def test_the_openapi_document_states_the_429_and_its_headers_on_posts_only() -> None:
    paths = document(build_router())["paths"]
    send = paths["/send"]["post"]["responses"]
    assert set(send["429"]["headers"]) >= {"Retry-After", "X-RateLimit-Remaining"}
    assert "X-RateLimit-Limit" in send["202"]["headers"]
    assert "429" not in paths["/messages"]["get"]["responses"]


# -- the quota through the API, and the operator's ceiling


def test_the_quota_reads_as_the_default_until_set() -> None:
    api, _ = make_api(settings_with(quota_rate=50.0, quota_burst=500))
    view = call(api, "GET", "/quota")
    assert (view.status, view.body) == (
        200,
        {
            "rate": 50.0,
            "burst": 500,
            "ceiling": {"rate": 50.0, "burst": 500},
            "granted": False,
            "own": None,
        },
    )


def test_a_workspace_lowers_its_own_quota_and_the_buckets_count_it() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=5))
    put = call(api, "PUT", "/quota", {"burst": 2})
    assert put.status == 200, put.body
    assert (put.body["rate"], put.body["burst"], put.body["own"]) == (
        0.001,
        2,
        {"rate": 0.001, "burst": 2},
    )
    assert [call(api, "POST", "/send", SEND).status for _ in range(3)] == [202, 202, 429]
    # Setting and reading the quota are not POSTs: a workspace over it may still lower it.
    assert call(api, "PUT", "/quota", {"burst": 1}).status == 200
    assert call(api, "GET", "/quota", key="other-key").body["own"] is None
    dropped = call(api, "DELETE", "/quota")
    assert (dropped.status, dropped.body["burst"], dropped.body["own"]) == (200, 5, None)


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"rate": 51}, "rate", "at most this workspace's ceiling, 50"),
        ({"burst": 501}, "burst", "at most this workspace's ceiling, 500"),
        ({"rate": 0}, "rate", "greater than 0"),
        ({"burst": 0}, "burst", "greater than or equal to 1"),
        ({"burst": 2.5}, "burst", "valid integer"),
        ({"rate": "fast"}, "rate", "valid number"),
        ({"limit": 5}, "limit", "not a known field"),
        (["rate"], "body", "JSON object"),
    ],
)
def test_a_quota_over_the_ceiling_or_out_of_bounds_is_a_400_naming_the_field(
    body: Any, field: str, reason: str
) -> None:
    api, _ = make_api(settings_with(quota_rate=50.0, quota_burst=500))
    answer = call(api, "PUT", "/quota", body)
    assert answer.status == 400, answer.body
    [error] = answer.body["errors"]
    assert error["field"] == field and reason in error["reason"], error
    assert call(api, "GET", "/quota").body["own"] is None  # nothing stored
    # At the ceiling exactly is accepted.
    assert call(api, "PUT", "/quota", {"rate": 50, "burst": 500}).status == 200


def test_only_the_operators_grant_raises_the_ceiling_and_the_cli_and_api_share_it() -> None:
    api, pipeline = make_api(settings_with(quota_rate=0.001, quota_burst=2))
    quotas = pipeline.services.quotas
    granted = quotas.grant("ws1", None, 4)  # what `herald quota ws1 --burst 4` runs
    assert (granted.burst, granted.ceiling.rate, granted.granted) == (4, 0.001, True)
    assert call(api, "PUT", "/quota", {"burst": 4}).status == 200
    assert call(api, "PUT", "/quota", {"burst": 5}).status == 400
    # A grant lowered under the workspace's own quota holds it: the lesser is in effect.
    assert quotas.grant("ws1", None, 3).burst == 3
    assert [call(api, "POST", "/send", SEND).status for _ in range(4)] == [202] * 3 + [429]
    with pytest.raises(ValidationFailed, match="burst"):
        quotas.grant("ws1", None, MAX_QUOTA_BURST + 1)
    assert quotas.grant_default("ws1").ceiling.burst == 2


def test_a_test_key_has_a_bucket_of_its_own_under_its_workspaces_ceiling() -> None:
    api, pipeline = make_api(settings_with(quota_rate=0.001, quota_burst=5))
    live, test = KEY, "hk_test_" + "t" * 24
    pipeline.keys.put(hash_api_key(test), namespace_for_test("ws1"))
    pipeline.services.quotas.grant("ws1", None, 3)
    assert [call(api, "POST", "/send", SEND, key=live).status for _ in range(4)] == [
        *[202] * 3,
        429,
    ]
    # The live bucket is empty; the test namespace's is full, at the workspace's ceiling.
    first = call(api, "POST", "/send", SEND, key=test)
    assert (first.status, first.headers["X-RateLimit-Limit"]) == (202, "3")
    assert call(api, "GET", "/quota", key=test).body["granted"] is True
    # A test key's own quota is the test namespace's, never the live workspace's.
    assert call(api, "PUT", "/quota", {"burst": 1}, key=test).status == 200
    assert call(api, "GET", "/quota", key=live).body["own"] is None
    assert [call(api, "POST", "/send", SEND, key=test).status for _ in range(2)] == [202, 429]
    assert call(api, "PUT", "/quota", {"burst": 4}, key=test).status == 400
    with pytest.raises(ValidationFailed, match="workspace: a test namespace is held"):
        pipeline.services.quotas.grant(namespace_for_test("ws1"), None, 10)


def test_the_quota_routes_are_in_the_openapi_document() -> None:
    paths = document(build_router())["paths"]
    assert set(paths["/quota"]) == {"get", "put", "delete"}
    assert "429" not in paths["/quota"]["put"]["responses"]


# -- a refusal costs as little as can be


class UnreadBody:
    """A body that fails the test if anything reads it."""

    def read(self, size: int = -1, /) -> bytes:
        raise AssertionError("the body of a refused request was read")


class CountedWorkspaces(InMemoryWorkspaces):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def settings(self, workspace: str) -> WorkspaceSettings:
        self.reads += 1
        return super().settings(workspace)


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "configure", lambda function: None)
    monkeypatch.setattr(metrics, "configure", lambda function: None)
    monkeypatch.setattr(tracing, "tracer", lambda: provider.get_tracer("test"))
    return exporter


def test_a_refusal_is_answered_before_its_body_is_read_or_its_span_started(
    spans: InMemorySpanExporter,
) -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=1))
    auth = {"Authorization": f"Bearer {KEY}"}
    body = json.dumps(SEND).encode()
    accepted = serve(api, HttpRequest("POST", "/send", auth), io.BytesIO(body), len(body))
    assert accepted.status == 202
    refused = serve(api, HttpRequest("POST", "/send", auth), UnreadBody(), len(body))
    assert (refused.status, refused.headers["X-RateLimit-Remaining"]) == (429, "0")
    assert [span.name for span in spans.get_finished_spans()] == ["POST /send"]  # the first's


def test_a_request_let_through_is_counted_once() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=2))
    auth = {"Authorization": f"Bearer {KEY}"}
    body = json.dumps(SEND).encode()
    statuses = [
        api.receive(HttpRequest("POST", "/send", auth), io.BytesIO(body), len(body)).status
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


def test_requests_the_quota_does_not_count_are_answered_as_before_and_uncounted() -> None:
    api, _ = make_api(settings_with(quota_rate=0.001, quota_burst=1))
    body = json.dumps(SEND).encode()
    bad_key = HttpRequest("POST", "/send", {"Authorization": "Bearer nope"})
    assert api.receive(bad_key, io.BytesIO(body), len(body)).status == 401
    auth = {"Authorization": f"Bearer {KEY}"}
    too_large = api.receive(HttpRequest("POST", "/send", auth), UnreadBody(), 10**9)
    assert too_large.status == 413
    # Neither took the one request of the burst.
    sent = api.receive(HttpRequest("POST", "/send", auth), io.BytesIO(body), len(body))
    assert sent.status == 202


def test_refusals_read_no_settings_while_the_quota_in_effect_is_kept() -> None:
    clock = Clock()
    workspaces = CountedWorkspaces()
    quota = WorkspaceQuota(rate=0.001, burst=1)
    settings = QuotaSettings(workspaces, quota, clock=clock)
    counter = WorkspaceQuotas(settings.in_effect, clock=clock)
    assert [counter.take("ws1").allowed for _ in range(100)] == [True] + [False] * 99
    assert workspaces.reads == 1
    # A change made elsewhere (another instance's, the CLI's) is read once the second is up.
    workspaces.save_settings("ws1", WorkspaceSettings(quota=WorkspaceQuota(rate=0.001, burst=3)))
    assert not counter.take("ws1").allowed
    clock.now += IN_EFFECT_CACHE_S
    assert counter.take("ws1").headers()["X-RateLimit-Limit"] == "3"
    assert workspaces.reads == 2
