"""A delivered email costs the invocations the cost model prices, counted on the stack.

Every invocation opens one SERVER or CONSUMER span, and one send is one trace,
so the invocations one email caused are the invocation spans of its trace; the
push filter keeps from the webhooks observer what Pub/Sub's filter would.
"""

from __future__ import annotations

from collections import Counter

import pytest

from herald.observability.spanfile import read_spans
from herald_tools.cost import invocations_per_email
from herald_tools.local.invocations import invocations
from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def invocations_of(stack: Stack, request_id: str) -> Counter[str]:
    spans = read_spans(stack.trace_dir)
    [trace_id] = {s.trace_id for s in spans if s.attributes.get("herald.request_id") == request_id}
    return invocations(s for s in spans if s.trace_id == trace_id)


def test_a_delivered_email_costs_the_invocations_the_cost_model_prices(
    api: Client, stack: Stack
) -> None:
    refused_before = stack.push_filter.refused
    request_id = api.send({"to": {"email": "counted@example.com"}, "content": {"body": "x"}})
    expected = Counter({name: int(n) for name, n in invocations_per_email().items() if n})

    def all_counted() -> Counter[str] | None:
        if api.get(f"/messages/{request_id}")["status"] != "SENT":
            return None
        counted = invocations_of(stack, request_id)
        return counted if counted.total() >= expected.total() else None

    counted = eventually(all_counted, what="every invocation of the send")
    assert counted == expected
    assert counted.total() <= 8
    # The observer's two events (enqueued, sent) were acked for it, never pushed to it.
    assert stack.push_filter.refused - refused_before >= 2
