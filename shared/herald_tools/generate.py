"""Generated artefacts that must match the code: JSON Schemas, Terraform's event table, the
map, the OpenAPI document and the documentation's configuration page.

The map is the AsyncAPI document, the DOT source and its rendered SVG, and the
event-map section of the documentation's pipeline page (Mermaid and the table of events).

``herald generate`` writes them; the test suite fails when the committed copies
differ from what the code generates.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

from herald.api import openapi
from herald.api.models import RESPONSE_BODIES
from herald.api.routes import current_document
from herald.domain.send import SendRequest
from herald.events.registry import EVENTS, subscription_filter
from herald.store.indexes import (
    COLLECTION_GROUP_FIELDS,
    COMPOSITE_INDEXES,
    TTL_FIELDS,
    UNINDEXED_FIELDS,
)
from herald.topology import FUNCTIONS, OUTBOX_DOCUMENT_PATTERN, RELAY_EVENT_TYPE
from herald_tools import configuration_page
from herald_tools.eventmap import asyncapi, dot, graph, image, mermaid, readme
from herald_tools.schemafile import schema_file

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The documentation page that holds the event map, and the way from it to the site's root.
EVENT_MAP_PAGE = "docs/architecture/pipeline.md"
EVENT_MAP_PAGE_TO_SITE_ROOT = "../"


def _schema(model: Any, schema_id: str, title: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": schema_id,
        **model.model_json_schema(),
        "title": title,
    }


def event_schemas() -> dict[tuple[str, int], dict[str, Any]]:
    """(event name, version) -> the schema of its payload, for every registered event."""
    return {
        (spec.name, spec.version): _schema(
            spec.payload,
            f"urn:herald:event:{spec.name}:v{spec.version}",
            f"{spec.name} v{spec.version}: {spec.description}",
        )
        for spec in EVENTS
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Relative path under ``schemas/`` -> schema document."""
    documents = {f"events/{schema_file(*key)}": schema for key, schema in event_schemas().items()}
    documents["api/send-request.json"] = _schema(
        SendRequest, "urn:herald:api:send-request", "POST /send request body"
    )
    for name, (model, title) in RESPONSE_BODIES.items():
        documents[f"api/{name}.json"] = _schema(model, f"urn:herald:api:{name}", title)
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
                    "fields": [_index_field(f, o) for f, o in index.fields],
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
                "redrives": f.redrives,
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
                        # Pub/Sub's filter language; "" for none.
                        "filter": wanted.expression
                        if (wanted := subscription_filter(consumer))
                        else "",
                    }
                    for consumer in spec.consumers
                },
            }
            for spec in EVENTS
        },
    }


def _index_field(path: str, order: str) -> dict[str, str | None]:
    # An array field is indexed for array_contains (array_config), not in an order.
    if order == "CONTAINS":
        return {"field_path": path, "order": None, "array_config": "CONTAINS"}
    return {"field_path": path, "order": order, "array_config": None}


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def generated_files() -> dict[str, str]:
    """Path relative to the repository root -> expected content."""
    files = {f"schemas/{path}": rendered(doc) for path, doc in schemas().items()}
    files["terraform/events.json"] = rendered(terraform_events())
    # Unsorted: the AsyncAPI document reads best in the order it is built (asyncapi, info, ...).
    files[asyncapi.DOCUMENT_PATH] = (
        json.dumps(asyncapi.document(version=importlib.metadata.version("herald")), indent=2) + "\n"
    )
    files[image.SOURCE_PATH] = dot.render(graph.build())
    # Unsorted too: paths in the router's order, each operation's keys as an author writes them.
    files[openapi.DOCUMENT_PATH] = json.dumps(current_document(), indent=2) + "\n"
    files[configuration_page.PAGE_PATH] = configuration_page.render()
    return files


def event_map_section() -> str:
    return readme.section(mermaid.render(graph.build()), EVENT_MAP_PAGE_TO_SITE_ROOT)


def write(root: Path) -> list[Path]:
    """Writes every stale generated file and the pipeline page's event-map section (not the
    image)."""
    written = []
    for relative, content in generated_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            written.append(path)
    page = root / EVENT_MAP_PAGE
    current = page.read_text()
    updated = readme.splice(current, event_map_section())
    if updated != current:
        page.write_text(updated)
        written.append(page)
    return written


def image_stale(root: Path) -> bool:
    path = root / image.IMAGE_PATH
    expected = image.source_hash(generated_files()[image.SOURCE_PATH])
    return not path.exists() or image.drawn_from(path.read_text()) != expected


def write_image(root: Path) -> Path | None:
    """Redraws the event map's SVG when its source changed; needs Graphviz (RendererMissing)."""
    if not image_stale(root):
        return None
    path = root / image.IMAGE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(image.render_svg(generated_files()[image.SOURCE_PATH]))
    return path


def stale(root: Path) -> list[str]:
    found = [
        relative
        for relative, content in generated_files().items()
        if not (root / relative).exists() or (root / relative).read_text() != content
    ]
    current = (root / EVENT_MAP_PAGE).read_text()
    if readme.splice(current, event_map_section()) != current:
        found.append(f"{EVENT_MAP_PAGE} (the event-map section)")
    if image_stale(root):
        found.append(f"{image.IMAGE_PATH} (drawn from an older {image.SOURCE_PATH})")
    return found
