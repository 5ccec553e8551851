"""Render reads a message once: in the transaction that routes it."""

from __future__ import annotations

import pytest

from herald.domain.status import MessageStatus
from herald.store.memory import InMemoryMessages
from tests.unit.test_api import SEND, call, make_api


def test_a_message_is_routed_from_the_transactions_own_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, pipeline = make_api()
    request_id = call(api, "POST", "/send", SEND).body["requestId"]
    [enqueued] = pipeline.messages.outbox
    reads: list[str] = []
    original = InMemoryMessages.get_message

    def counted(self: InMemoryMessages, workspace: str, message_id: str) -> object:
        reads.append(message_id)
        return original(self, workspace, message_id)

    monkeypatch.setattr(InMemoryMessages, "get_message", counted)
    pipeline.render.handle(enqueued)
    assert reads == []
    routed = pipeline.messages.get_message("ws1", request_id)
    assert routed is not None and routed.status == MessageStatus.ROUTED
    # A copy of the event later changes nothing: noted as ignored.
    seq = routed.seq
    pipeline.render.handle(enqueued)
    again = pipeline.messages.get_message("ws1", request_id)
    assert again is not None and again.seq == seq
    assert [i.event_id for i in pipeline.messages.ignored("ws1", request_id)] == [enqueued.id]
