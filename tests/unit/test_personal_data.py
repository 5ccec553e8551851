"""Personal data stays out of what Herald logs, traces and keeps about failures: a
provider's refusal that quotes the recipient, a bounce's reason, a request's path."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from herald.api.http import HttpRequest
from herald.engagement.links import LinkMaker
from herald.engagement.tokens import LinkSigner, LinkToken
from herald.entrypoints import http as entrypoint
from herald.errors import PermanentProviderError, ProviderError, RetryableProviderError
from herald.ids import hash_api_key
from herald.observability import metrics, tracing
from herald.redaction import MAX_READ_CHARS, REDACTED, error_text, redact
from tests.unit.fakes import FakeProvider, Pipeline
from tests.unit.test_api_callbacks import WS, event, make_api, sendgrid_post, sent_message

ADDRESS = "ada.lovelace@example.com"
PHONE = "+15005550006"
# What an SMTP server answers for an unknown user, quoting the address back.
SMTP_REFUSAL = f"recipient refused: SMTP 550: b'5.1.1 <{ADDRESS}>: Recipient address rejected'"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "configure", lambda function: None)
    monkeypatch.setattr(metrics, "configure", lambda function: None)
    monkeypatch.setattr(tracing, "tracer", lambda: provider.get_tracer("test"))
    yield exporter


def span_text(finished: tuple[ReadableSpan, ...]) -> str:
    return json.dumps(
        [
            {
                "name": s.name,
                "attributes": dict(s.attributes or {}),
                "status": s.status.description,
                "events": [(e.name, dict(e.attributes or {})) for e in s.events],
            }
            for s in finished
        ],
        default=str,
    )


def kept_errors(pipeline: Pipeline) -> str:
    """Every error the stores keep about the messages: state, results, history,
    attempts, summaries, timers."""
    texts: list[Any] = []
    for message in pipeline.messages.messages.values():
        texts += [message.error, [r.error for r in message.results]]
    texts += [e.payload.get("error") for e in pipeline.messages.outbox]
    for attempt in pipeline.attempts.attempts.values():
        texts += [attempt.last_error, attempt.result.error if attempt.result else None]
    texts += [s.error for s in pipeline.summaries.summaries.values()]
    texts += [entry.reason for entry in pipeline.timers.entries.values()]
    return json.dumps(texts, default=str)


def send_through(failure: ProviderError, to: dict[str, str]) -> Pipeline:
    provider = FakeProvider("fake-smtp", "email", fail_with=failure, fail_before_handoff=True)
    pipeline = Pipeline(
        email=provider, extra=[FakeProvider("fake-twilio", "sms", fail_with=failure)]
    )
    body = {"message": {"to": to, "content": {"title": "Hi", "body": "B"}}}
    pipeline.sending.send(WS, body)
    pipeline.drain()
    return pipeline


@pytest.mark.parametrize(
    "failure",
    [
        PermanentProviderError(SMTP_REFUSAL, "smtp", "550"),
        RetryableProviderError(SMTP_REFUSAL.replace("550", "450"), "smtp", "450"),
    ],
    ids=["permanent", "retryable"],
)
def test_a_refusal_quoting_the_address_leaves_it_in_no_log_span_or_kept_error(
    failure: ProviderError, spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = send_through(failure, {"email": ADDRESS})
    logged, traced, kept = (
        capsys.readouterr().out,
        span_text(spans.get_finished_spans()),
        kept_errors(pipeline),
    )
    assert "Recipient address rejected" in kept and "Recipient address rejected" in traced
    for text in (logged, traced, kept):
        assert "lovelace" not in text
    assert f"<{REDACTED}>: Recipient address rejected" in kept


def test_a_refusal_quoting_the_phone_number_keeps_no_trace_of_it(
    spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = PermanentProviderError(
        f"HTTP 400 from twilio: error 21211: The 'To' number {PHONE} is not valid", "twilio"
    )
    pipeline = send_through(refusal, {"phone_number": PHONE})
    logged, traced, kept = (
        capsys.readouterr().out,
        span_text(spans.get_finished_spans()),
        kept_errors(pipeline),
    )
    assert "error 21211" in kept
    for text in (logged, traced, kept):
        assert "5550006" not in text


def test_a_bounce_reason_naming_the_address_is_kept_redacted() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": ADDRESS})
    reason = f"550 5.1.1 The email account <{ADDRESS}> does not exist"
    bounce = event(mid, "bounce", "ev-b", type="bounce", reason=reason, email=ADDRESS)
    assert sendgrid_post(api, [bounce]).body == {"received": 1, "applied": 1}
    message = pipeline.messages.get_message(WS, mid)
    assert message is not None and message.error == (
        f"550 5.1.1 The email account <{REDACTED}> does not exist"
    )
    entry = pipeline.suppressions.find(WS, ADDRESS)
    assert entry is not None and "lovelace" not in (entry.detail or "")
    assert "lovelace" not in kept_errors(pipeline)


def test_the_request_span_has_the_route_never_the_path_as_sent(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline(links=LinkMaker("https://herald.test", LinkSigner(["secret"])))
    pipeline.keys.put(hash_api_key("hk_key"), WS)
    assert pipeline.links is not None
    token = pipeline.links.signer.sign(
        LinkToken("unsubscribe", WS, "m-1", 2**40, address=ADDRESS, topic_id="news")
    )
    auth = {"Authorization": "Bearer hk_key"}
    for path in (f"/suppressions/{ADDRESS}", f"/unsubscribe/{token}", f"/nowhere/{ADDRESS}/x"):
        entrypoint.serve(pipeline.api, HttpRequest("GET", path, auth), io.BytesIO(b""), 0)
    finished = spans.get_finished_spans()
    paths = [(s.name, (s.attributes or {}).get("url.path")) for s in finished]
    assert paths == [
        ("GET /suppressions/{address}", "/suppressions/{address}"),
        ("GET /unsubscribe/{token}", "/unsubscribe/{token}"),
        ("GET /*/*/*", "/*/*/*"),
    ]
    assert "lovelace" not in span_text(finished) and token not in span_text(finished)


# -- the redaction itself


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"<{ADDRESS}>: no such user", f"<{REDACTED}@example.com>: no such user"),
        (
            "{'Ada+x@Mail.Example.ORG': (550, b'no')}",
            f"{{'{REDACTED}@Mail.Example.ORG': (550, b'no')}}",
        ),
        ("to +1 (500) 555-0006.", f"to {REDACTED}."),
        ("to 15005550006 failed", f"to {REDACTED} failed"),
        (
            "token dGVzdC10b2tlbg:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx is invalid",
            f"token {REDACTED} is invalid",
        ),
        (
            "HTTP 503 from sendgrid, error 30005 at 2026-11-26 10:00",
            "HTTP 503 from sendgrid, error 30005 at 2026-11-26 10:00",
        ),
    ],
)
def test_redact_removes_addresses_numbers_and_tokens_and_keeps_the_rest(
    text: str, redacted: str
) -> None:
    assert redact(text) == redacted


def test_known_values_go_first_and_long_texts_are_read_only_so_far() -> None:
    assert (
        redact("mail for Ada at ada-home failed", ["ada-home"])
        == f"mail for Ada at {REDACTED} failed"
    )
    assert len(redact("x " * MAX_READ_CHARS)) == MAX_READ_CHARS
    assert error_text(ValueError()) == "ValueError"
    assert len(error_text(ValueError(f"{ADDRESS} " * 1_000))) == 500
