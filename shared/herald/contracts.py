"""Generated artefacts that must match the code: JSON Schemas and Terraform's event table.

``herald generate`` writes them; the test suite fails when the committed copies
differ from what the code generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from herald.domain.send import SendRequest
from herald.events.registry import EVENTS
from herald.store.indexes import (
    COLLECTION_GROUP_FIELDS,
    COMPOSITE_INDEXES,
    TTL_FIELDS,
    UNINDEXED_FIELDS,
)
from herald.topology import FUNCTIONS, OUTBOX_DOCUMENT_PATTERN, RELAY_EVENT_TYPE

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(model: Any, schema_id: str, title: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": schema_id,
        **model.model_json_schema(),
        "title": title,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Relative path under ``schemas/`` -> schema document."""
    documents = {
        f"events/{spec.name}.v{spec.version}.json": _schema(
            spec.payload,
            f"urn:herald:event:{spec.name}:v{spec.version}",
            f"{spec.name} v{spec.version}: {spec.description}",
        )
        for spec in EVENTS
    }
    documents["api/send-request.json"] = _schema(
        SendRequest, "urn:herald:api:send-request", "POST /send request body"
    )
    return documents


def terraform_events() -> dict[str, Any]:
    """The registry as Terraform reads it (``terraform/events.json``)."""
    return {
        "outbox": {"document_pattern": OUTBOX_DOCUMENT_PATTERN, "event_type": RELAY_EVENT_TYPE},
        "firestore": {
            "composite_indexes": [
                {
                    "collection_group": index.collection_group,
                    "query_scope": index.query_scope,
                    "fields": [{"field_path": f, "order": o} for f, o in index.fields],
                }
                for index in COMPOSITE_INDEXES
            ],
            "ttl_fields": [{"collection_group": c, "field": f} for c, f in TTL_FIELDS],
            "collection_group_fields": [
                {"collection_group": c, "field": f} for c, f in COLLECTION_GROUP_FIELDS
            ],
            "unindexed_fields": [{"collection_group": c, "field": f} for c, f in UNINDEXED_FIELDS],
        },
        "functions": {
            f.name: {
                "trigger": f.trigger.value,
                "description": f.description,
                "entry_point": f.entry_point,
                "publishes": f.publishes,
                "secrets": list(f.secrets),
            }
            for f in FUNCTIONS
        },
        "events": {
            spec.name: {
                "version": spec.version,
                "topic": spec.topic,
                "producer": spec.producer,
                "subscriptions": {
                    consumer: {
                        "name": spec.subscription(consumer),
                        "dead_letter_topic": spec.dead_letter_topic(consumer),
                    }
                    for consumer in spec.consumers
                },
            }
            for spec in EVENTS
        },
    }


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def generated_files() -> dict[str, str]:
    """Path relative to the repository root -> expected content."""
    files = {f"schemas/{path}": rendered(doc) for path, doc in schemas().items()}
    files["terraform/events.json"] = rendered(terraform_events())
    return files


def write(root: Path) -> list[Path]:
    written = []
    for relative, content in generated_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            written.append(path)
    return written


def stale(root: Path) -> list[str]:
    return [
        relative
        for relative, content in generated_files().items()
        if not (root / relative).exists() or (root / relative).read_text() != content
    ]
