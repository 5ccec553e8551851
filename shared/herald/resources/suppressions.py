"""A workspace's suppression list, kept as documents (``suppressions/{hash}``).

The document id is a hash of the normalised address: addresses may hold
characters a Firestore id cannot, and the list is read by address or paged.
"""

from __future__ import annotations

import hashlib
from typing import Any

from herald.clock import now_ms
from herald.domain.message import MessageState
from herald.domain.suppression import (
    ADDRESS_FIELDS,
    SuppressionEntry,
    SuppressionReason,
    normalise,
)
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import page_of
from herald.store.documents import DocumentStore

COLLECTION = "suppressions"


def _path(address: str) -> tuple[str, str]:
    return (COLLECTION, hashlib.sha256(address.encode()).hexdigest()[:40])


def address_of(recipient: dict[str, Any], channel: str) -> str | None:
    """The normalised address ``channel`` sends to, for the channels that can be suppressed."""
    field = ADDRESS_FIELDS.get(channel)
    value = recipient.get(field) if field else None
    found = normalise(value) if isinstance(value, str) else None
    return found[1] if found and found[0] == channel else None


class SuppressionList:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def add(
        self,
        workspace: str,
        address: str,
        reason: SuppressionReason,
        source: str,
        message_id: str | None = None,
        detail: str | None = None,
    ) -> SuppressionEntry | None:
        """Suppresses the address (a second report keeps the first entry); None if it is no
        email or phone number."""
        found = normalise(address)
        if found is None:
            return None
        channel, normalised = found
        entry = SuppressionEntry(
            address=normalised,
            channel=channel,
            reason=reason,
            created_ms=now_ms(),
            source=source,
            message_id=message_id,
            detail=detail,
        )
        stored = self.documents.update(
            workspace,
            _path(normalised),
            lambda current: entry.model_dump(mode="json") if current is None else None,
        )
        return SuppressionEntry.model_validate(stored)

    def find(self, workspace: str, address: str) -> SuppressionEntry | None:
        found = normalise(address)
        if found is None:
            return None
        stored = self.documents.get(workspace, _path(found[1]))
        return SuppressionEntry.model_validate(stored) if stored else None

    def for_message(self, message: MessageState, channel: str) -> SuppressionEntry | None:
        """The entry that stops ``channel`` reaching the message's recipient, if any."""
        address = address_of(message.recipient, channel)
        return self.find(message.workspace, address) if address else None

    def opt_in(self, workspace: str, address: str) -> bool:
        """Lifts an opt-out (an SMS START after a STOP), never a bounce or a complaint."""
        entry = self.find(workspace, address)
        if entry is None or entry.reason != SuppressionReason.UNSUBSCRIBED:
            return False
        return self.lift(workspace, address)

    def lift(self, workspace: str, address: str) -> bool:
        """Removes the entry; False when the address was not suppressed."""
        found = normalise(address)
        return found is not None and self.documents.delete(workspace, _path(found[1]))

    # The API's views.
    def get(self, workspace: str, address: str) -> dict[str, Any]:
        entry = self.find(workspace, _valid(address))
        if entry is None:
            raise NotFound(f"{address} is not suppressed")
        return entry.model_dump(mode="json")

    def delete(self, workspace: str, address: str) -> None:
        if not self.lift(workspace, _valid(address)):
            raise NotFound(f"{address} is not suppressed")

    def page(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        return page_of(self.documents, workspace, (COLLECTION,), cursor, "items")


def _valid(address: str) -> str:
    if normalise(address) is None:
        raise ValidationFailed.of("address", "is not an email address or an E.164 phone number")
    return address
