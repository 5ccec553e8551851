"""Who a fan-out reaches: a list's subscribers or a tenant's users.

Both are a collection of documents keyed by user id under a parent document,
paged through the same way by the fan-out and counted the same way by the send.
"""

from __future__ import annotations

from dataclasses import dataclass

from herald.domain.message import FanOut
from herald.store.documents import DocPath, Document


@dataclass(frozen=True)
class Members:
    label: str  # "list beta", "tenant acme": for errors
    parent: DocPath
    collection: DocPath

    def live(self, parent: Document | None) -> bool:
        """Whether the parent exists (a deleted list is kept, marked, to be restorable)."""
        return parent is not None and not parent.get("deleted")


def members_of(fanout: FanOut) -> Members | None:
    """Where a fan-out's recipients are stored; None for inline recipients."""
    if fanout.list_id is not None:
        return Members(
            f"list {fanout.list_id}",
            ("lists", fanout.list_id),
            ("lists", fanout.list_id, "subscriptions"),
        )
    if fanout.tenant_id is not None:
        return Members(
            f"tenant {fanout.tenant_id}",
            ("tenants", fanout.tenant_id),
            ("tenants", fanout.tenant_id, "users"),
        )
    return None
