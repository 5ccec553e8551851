"""The inbox channel's provider: the rendered message stored in the user's own inbox.

Nothing leaves Herald: the entry is written to the workspace's documents, where the
inbox's GraphQL endpoint reads it. Its id comes from the message, so a redelivered
message is stored once.
"""

from __future__ import annotations

from collections.abc import Callable

from herald.domain.inbox import new_entry
from herald.domain.message import ChannelOutcome
from herald.errors import PermanentProviderError
from herald.providers.base import Dispatch, Receipt
from herald.store.documents import DocumentStore
from herald.store.inbox import InboxEntries


class InboxProvider:
    name = "inbox"
    channel = "inbox"

    def __init__(self, documents: DocumentStore, now_ms: Callable[[], int]) -> None:
        self.entries = InboxEntries(documents)
        self.now_ms = now_ms

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        user_id = dispatch.recipient.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise PermanentProviderError("the recipient has no user_id", "inbox")
        entry = new_entry(
            dispatch.message_id,
            dispatch.enqueued_ms,
            dispatch.rendered,
            tags=dispatch.tags,
            tenant_id=dispatch.tenant_id,
            stored_ms=self.now_ms(),
        )
        # Storing is idempotent, so a failed write is safe to retry: the handoff (after
        # which a failure would be ambiguous) comes once the entry is there.
        self.entries.store_once(dispatch.workspace, user_id, entry)
        handoff()
        # In the inbox is where the message goes: it is there, delivered.
        return Receipt(ChannelOutcome.DELIVERED, reference=dispatch.message_id)
