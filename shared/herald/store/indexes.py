"""What Firestore must index, and must not, for the queries Herald makes.

Declared here beside the queries; Terraform reads them from the generated
``terraform/events.json``, so an index a query needs cannot be forgotten.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class CompositeIndex:
    collection_group: str
    # (field path, ASCENDING | DESCENDING, or CONTAINS for an array filtered with array_contains)
    fields: tuple[tuple[str, str], ...]
    query_scope: str = "COLLECTION"  # or COLLECTION_GROUP, for queries across workspaces


# FirestoreSummaries.list (GET /messages) filters on these summary fields, newest
# first. ``tags`` is an array, filtered with array_contains(_any); ``status`` may
# be several values (``in``). The order here is the order of the index fields.
LIST_FILTER_FIELDS: tuple[str, ...] = (
    "request_id",
    "status",
    "recipient",
    "trace_id",
    "template",
    "tenant_id",
    "tags",
)
ARRAY_FIELDS = frozenset({"tags"})
# At most this many of them in one query, so that an exact index serves every
# combination (28 indexes) instead of 127, each one more write per summary.
MAX_LIST_FILTERS = 2


def list_index_fields(filters: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The fields of the composite index a list query with these filters needs."""
    ordered = [f for f in LIST_FILTER_FIELDS if f in filters]
    return (
        *((f, "CONTAINS" if f in ARRAY_FIELDS else "ASCENDING") for f in ordered),
        ("enqueued_ms", "DESCENDING"),
    )


def _list_indexes() -> tuple[CompositeIndex, ...]:
    combinations = [
        combination
        for size in range(1, MAX_LIST_FILTERS + 1)
        for combination in itertools.combinations(LIST_FILTER_FIELDS, size)
    ]
    return tuple(CompositeIndex("summaries", list_index_fields(c)) for c in combinations)


COMPOSITE_INDEXES: tuple[CompositeIndex, ...] = (
    *_list_indexes(),
    # FirestoreSweep: the sweeper's scans across every workspace.
    CompositeIndex(
        "events",
        (("published_ms", "ASCENDING"), ("occurred_ms", "ASCENDING")),
        "COLLECTION_GROUP",
    ),
    CompositeIndex(
        "messages", (("status", "ASCENDING"), ("updated_ms", "ASCENDING")), "COLLECTION_GROUP"
    ),
    CompositeIndex(
        "messages",
        (("awaiting_digest", "ASCENDING"), ("updated_ms", "ASCENDING")),
        "COLLECTION_GROUP",
    ),
    # FirestoreTemplateMetrics.counts: a template's counters of the days of a window.
    CompositeIndex("template_metrics", (("template", "ASCENDING"), ("day_ms", "ASCENDING"))),
)

# Single fields queried across workspaces (collection-group scope is not automatic).
COLLECTION_GROUP_FIELDS: tuple[tuple[str, str], ...] = (
    ("timers", "due_ms"),  # FirestoreTimers.due
)

# Records that only guard against duplicates expire through a TTL policy.
TTL_FIELDS: tuple[tuple[str, str], ...] = (
    ("receipts", "expires_at"),
    ("idempotency", "expires_at"),  # herald.idempotency.firestore
    ("deliveries", "expires_at"),  # customer webhook deliveries, kept 30 days
    ("callbacks", "expires_at"),  # herald.callbacks.replay
    ("automation_throttles", "expires_at"),  # herald.pipeline.automation_throttle
    ("automation_batches", "expires_at"),  # herald.pipeline.automation_batch
    ("test_outbox", "expires_at"),  # herald.resources.test_outbox, kept 30 days
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
    ("summaries", "updated_ms"),  # the list filters and sorts on enqueued_ms only
    ("summaries", "status_seq"),
    ("summaries", "sent_ms"),
    ("summaries", "delivered_ms"),
    ("summaries", "opened_ms"),
    ("summaries", "clicked_ms"),
    ("summaries", "error"),
    ("events", "payload"),
    ("history", "payload"),
    ("attempts", "result"),
    ("idempotency", "response"),  # a stored API answer, read only by its document id
    # What a send carries as the caller wrote it: never queried.
    ("messages", "fanout"),  # inline recipients of a large send, up to 1000
    ("messages", "route"),
    ("messages", "channel_overrides"),
    ("messages", "provider_overrides"),
    ("messages", "utm"),
    ("messages", "automation"),  # a run's steps and context, as the caller wrote them
    ("messages", "digest"),  # a digest's open window: its items, read by the record's id
    # The workspace's documents, read by id or paged by id only.
    ("profiles", "profile"),
    ("subscriptions", "preferences"),
    ("audiences", "filter"),
    ("bulk_jobs", "definition"),  # a bulk job's message, read by id
    (
        "pages",
        "users",
    ),  # a bulk job's users, a hundred to a page, paged by id  # read by id, evaluated in the caller's process
    ("tenants", "properties"),
    ("tenants", "user_profile"),
    ("tenants", "default_preferences"),
    ("tenants", "profile"),  # a user's profile in a tenant (both sides of the membership)
    ("users", "profile"),
    ("users", "tokens"),  # a user's token index, read by its document id
    ("tokens", "device"),
    ("tokens", "properties"),
    ("tokens", "tracking"),
    ("templates", "content"),
    ("templates", "channels"),
    ("templates", "routing"),
    ("templates", "locales"),
    ("templates", "draft"),  # the notifications API's working copy, read with its template
    ("versions", "body"),  # a template's kept versions, read by id
    ("submissions", "checks"),  # a template submission's checks, read by id
    ("locales", "po"),  # a domain's translations in one locale, read by id
    ("locales", "messages"),
    ("brands", "settings"),
    ("brands", "snippets"),
    ("topics", "digest"),  # a topic's digest schedules, read by id or paged by id
    ("automations", "steps"),  # stored automation templates, read by id or paged by id
    ("automation_throttles", "admitted"),  # a window's runs, read by the window's id
    ("automation_throttles", "refused"),
    ("automation_batches", "members"),  # a batch's runs and their data, read by its id
    ("automation_batches", "items"),
    ("journeys", "draft"),  # a journey's nodes and steps, read by its id
    ("versions", "nodes"),  # a journey's published versions, read by id or paged by id
    ("versions", "steps"),
    ("deliveries", "body"),  # customer webhook deliveries, read by id or paged by id
    ("test_outbox", "deliveries"),  # test mode's recorded provider calls, read by id
    ("deliveries", "attempts"),
    # A template's counters, found by their composite index only.
    ("template_metrics", "channel"),
    ("template_metrics", "provider"),
    ("template_metrics", "sent"),
    ("template_metrics", "delivered"),
    ("template_metrics", "opened"),
    ("template_metrics", "clicked"),
    ("template_metrics", "errors"),
    ("template_metrics", "undeliverable"),
    ("template_metrics", "hours"),  # a map: its hours' counts are left out with it
)
