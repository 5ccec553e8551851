"""The relay's trigger: an Eventarc Firestore event for an outbox record."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from herald.entrypoints import firestore
from herald.errors import UndecodableEvent
from herald.events.registry import spec_for
from herald.observability import logs, metrics, tracing
from herald.redaction import error_text

if TYPE_CHECKING:
    # Only for annotations: the function loads the service when it builds it.
    from herald.pipeline.relaying import RelayService


def _record_production(record: dict[str, Any], failed: bool, started: float) -> None:
    """The event web's production edge: credited to the event's producer when it has only
    one (the relay does not know which function wrote the record)."""
    event = str(record.get("type", ""))
    try:
        producers = spec_for(event).producers
    except KeyError:
        return
    metrics.record_edge(
        metrics.PRODUCED,
        producers[0] if len(producers) == 1 else "",
        event,
        str(record.get("workspace", "")),
        failed,
        (time.perf_counter() - started) * 1000,
    )


def relay(service: RelayService, data: Any, subject: str | None) -> None:
    """Raise means retry (the trigger's retry policy), return means done."""
    tracing.configure("relay")
    metrics.configure("relay")
    with tracing.invocation():
        try:
            before, after = firestore.decode(data)
        except UndecodableEvent as exc:
            logs.error("outbox event dropped", error=error_text(exc), subject=subject)
            return
        traceparent = (after or {}).get("traceparent")
        record = after or before or {}
        with tracing.tracer().start_as_current_span(
            "outbox relay",
            context=tracing.context_from_traceparent(traceparent),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "db.system.name": "gcp.firestore",
                "herald.event_id": str(record.get("id", "")),
                "herald.message_id": str(record.get("message_id", "")),
                # What the console's event web counts a relayed event by.
                "herald.event_type": str(record.get("type", "")),
                "herald.workspace": str(record.get("workspace", "")),
                "cloudevents.event_subject": subject or "",
            },
        ):
            started, published = time.perf_counter(), False
            try:
                published = service.handle_write(before, after)
            except Exception:
                _record_production(record, True, started)
                raise
            if published:
                _record_production(record, False, started)
