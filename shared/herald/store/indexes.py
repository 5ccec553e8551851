"""What Firestore must index, and must not, for the queries Herald makes.

Declared here beside the queries; Terraform reads them from the generated
``terraform/events.json``, so an index a query needs cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompositeIndex:
    collection_group: str
    fields: tuple[tuple[str, str], ...]  # (field path, ASCENDING | DESCENDING)
    query_scope: str = "COLLECTION"  # or COLLECTION_GROUP, for queries across workspaces


# FirestoreSummaries.list: equality filters, newest first.
COMPOSITE_INDEXES: tuple[CompositeIndex, ...] = (
    CompositeIndex("summaries", (("request_id", "ASCENDING"), ("enqueued_ms", "DESCENDING"))),
    CompositeIndex("summaries", (("status", "ASCENDING"), ("enqueued_ms", "DESCENDING"))),
    CompositeIndex(
        "summaries",
        (("request_id", "ASCENDING"), ("status", "ASCENDING"), ("enqueued_ms", "DESCENDING")),
    ),
    CompositeIndex("summaries", (("trace_id", "ASCENDING"), ("enqueued_ms", "DESCENDING"))),
    CompositeIndex(
        "summaries",
        (("status", "ASCENDING"), ("trace_id", "ASCENDING"), ("enqueued_ms", "DESCENDING")),
    ),
    # FirestoreSweep: the sweeper's scans across every workspace.
    CompositeIndex(
        "events",
        (("published_ms", "ASCENDING"), ("occurred_ms", "ASCENDING")),
        "COLLECTION_GROUP",
    ),
    CompositeIndex(
        "messages", (("status", "ASCENDING"), ("updated_ms", "ASCENDING")), "COLLECTION_GROUP"
    ),
)

# Single fields queried across workspaces (collection-group scope is not automatic).
COLLECTION_GROUP_FIELDS: tuple[tuple[str, str], ...] = (
    ("timers", "due_ms"),  # FirestoreTimers.due
)

# Records that only guard against duplicates expire through a TTL policy.
TTL_FIELDS: tuple[tuple[str, str], ...] = (
    ("receipts", "expires_at"),
    ("idempotency", "expires_at"),  # herald.idempotency.firestore
)

# Never queried: user-supplied maps (arbitrary keys make index entries) and
# bulky or monotonically increasing fields nobody filters on.
UNINDEXED_FIELDS: tuple[tuple[str, str], ...] = (
    ("messages", "recipient"),
    ("messages", "content"),
    ("messages", "data"),
    ("messages", "rendered"),
    ("messages", "results"),
    ("messages", "updated_ms"),  # only in the sweeper's composite index
    ("events", "payload"),
    ("attempts", "result"),
    ("idempotency", "response"),  # a stored API answer, read only by its document id
)
