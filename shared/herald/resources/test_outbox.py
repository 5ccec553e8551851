"""The test outbox: what test mode's recording sink was handed, instead of a provider.

One document per message (``test_outbox/{message_id}``), each provider call it
would have made kept under ``deliveries`` by ``<channel>-<provider>``, the attempt's
own key, so a retried attempt is recorded once. Only a test namespace has one; a
document expires through the TTL policy on ``expires_at``, ``KEPT_FOR`` after its
message's first record.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from herald.clock import now_ms
from herald.domain.testmode import is_test_mode
from herald.errors import NotFound
from herald.providers.base import Dispatch
from herald.resources.parsing import iso, page_of
from herald.store.documents import Document, DocumentStore

COLLECTION = "test_outbox"
KEPT_FOR = datetime.timedelta(days=30)


def _only_in_test_mode(workspace: str) -> None:
    if not is_test_mode(workspace):
        # A live key has no test outbox: as another workspace's, it is not there.
        raise NotFound("the test outbox is a test key's (hk_test_...); this key is live")


def recorded_view(message_id: str, stored: Document) -> dict[str, Any]:
    deliveries = stored.get("deliveries") or {}
    return {
        "messageId": message_id,
        "deliveries": [
            {
                "channel": delivery["channel"],
                "provider": delivery["provider"],
                "recordedAt": iso(delivery["recorded_ms"]),
                "recipient": delivery["recipient"],
                "content": delivery["content"],
            }
            for _key, delivery in sorted(deliveries.items())
        ],
    }


class RecordedOutbox:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def record(self, dispatch: Dispatch, channel: str, provider: str) -> None:
        """Keeps what ``provider`` would have been handed; once per attempt."""
        at = now_ms()
        delivery = {
            "channel": channel,
            "provider": provider,
            "recorded_ms": at,
            "recipient": dispatch.recipient,
            "content": dispatch.rendered,
        }
        attempt = f"{channel}-{provider}"
        expires = datetime.datetime.fromtimestamp(at / 1000, tz=datetime.UTC) + KEPT_FOR

        def add(current: Document | None) -> Document | None:
            stored = current or {
                "message_id": dispatch.message_id,
                "deliveries": {},
                "expires_at": expires,
            }
            if attempt in stored["deliveries"]:
                return None  # a retry of an attempt already recorded
            stored["deliveries"][attempt] = delivery
            return stored

        self.documents.update(dispatch.workspace, (COLLECTION, dispatch.message_id), add)

    def get(self, workspace: str, message_id: str) -> dict[str, Any]:
        _only_in_test_mode(workspace)
        stored = self.documents.get(workspace, (COLLECTION, message_id))
        if stored is None:
            raise NotFound(f"nothing recorded for message {message_id}")
        return recorded_view(message_id, stored)

    def find(self, workspace: str, query: Mapping[str, str]) -> dict[str, Any]:
        _only_in_test_mode(workspace)
        return page_of(
            self.documents, workspace, (COLLECTION,), query.get("cursor"), "results", recorded_view
        )
