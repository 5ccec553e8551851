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
)

# Records that only guard against duplicates expire through a TTL policy.
TTL_FIELDS: tuple[tuple[str, str], ...] = (("receipts", "expires_at"),)

# Never queried: user-supplied maps (arbitrary keys make index entries) and
# bulky or monotonically increasing fields nobody filters on.
UNINDEXED_FIELDS: tuple[tuple[str, str], ...] = (
    ("messages", "recipient"),
    ("messages", "content"),
    ("messages", "data"),
    ("messages", "rendered"),
    ("messages", "results"),
    ("events", "payload"),
    ("events", "occurred_ms"),
    ("attempts", "result"),
)
