"""The map of the event web: AsyncAPI, Mermaid, DOT, the SVG's staleness, ``herald events``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from herald.events.registry import EVENTS, EventSpec
from herald.topology import FUNCTIONS, FunctionSpec, Trigger
from herald_tools import generate
from herald_tools.eventmap import asyncapi, dot, graph, image, mermaid, readme
from herald_tools.eventmap.listing import rows, table

ROOT = Path(__file__).resolve().parents[2]
# The official JSON Schema of AsyncAPI 3.0.0, from @asyncapi/specs 6.8.0 (Apache-2.0).
ASYNCAPI_SCHEMA = Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json"


class ListRequested(BaseModel):
    list_id: str


# What another branch might add: a new event and a new observer of every event.
NEW_EVENT = EventSpec(
    "list.requested", 1, ListRequested, "api", ("fanout",), "LIST_REQUESTED", "A list send."
)
NEW_FUNCTIONS = (
    FunctionSpec("fanout", Trigger.PUBSUB, "pages through a list's recipients"),
    FunctionSpec("audit", Trigger.PUBSUB, "keeps an audit trail of everything"),
)
EVERYTHING_OBSERVED = tuple(
    EventSpec(
        s.name,
        s.version,
        s.payload,
        s.producer,
        (*s.consumers, "audit"),
        s.history_type,
        s.description,
    )
    for s in (*EVENTS, NEW_EVENT)
)


def test_the_asyncapi_document_is_valid_asyncapi_3() -> None:
    validator = jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))
    document = json.loads((ROOT / asyncapi.DOCUMENT_PATH).read_text())
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == []
    # ... and the validator does refuse what is not (AsyncAPI 2's "publish" action).
    [operation_id, *_] = document["operations"]
    document["operations"][operation_id]["action"] = "publish"
    assert not validator.is_valid(document)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    return [r for v in node for r in _refs(v)] if isinstance(node, list) else []


def test_every_asyncapi_reference_resolves_to_the_document_or_a_published_schema() -> None:
    document = asyncapi.document()
    for ref in _refs(document):
        if ref.startswith("#/"):
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
        else:
            schema = (ROOT / "docs" / ref).resolve()
            assert schema.is_file(), ref
            assert schema.relative_to(ROOT / "schemas" / "events")


def test_asyncapi_has_a_channel_per_topic_a_send_per_event_and_a_receive_per_consumer() -> None:
    document = asyncapi.document(EVERYTHING_OBSERVED)
    assert set(document["channels"]) == {s.topic for s in EVERYTHING_OBSERVED}
    actions = {(o["x-herald-function"], o["action"], k) for k, o in document["operations"].items()}
    for spec in EVERYTHING_OBSERVED:
        key = asyncapi.message_key(spec)
        assert (spec.producer, "send", f"{spec.producer}.send.{key}") in actions
        for consumer in spec.consumers:
            assert (consumer, "receive", f"{consumer}.receive.{key}") in actions
    assert len(document["operations"]) == sum(1 + len(s.consumers) for s in EVERYTHING_OBSERVED)


def test_a_new_event_function_and_observer_flow_into_the_map() -> None:
    event_map = graph.build(EVERYTHING_OBSERVED, (*FUNCTIONS, *NEW_FUNCTIONS))
    edges = {(e.source, e.target) for e in event_map.edges}
    topic = graph.topic_node_id(NEW_EVENT)
    assert {("relay", topic), (topic, "fanout"), (topic, "audit")} <= edges
    assert all((graph.topic_node_id(s), "audit") in edges for s in EVENTS)
    assert "topic_herald_list_requested --> fanout" in mermaid.render(event_map)
    assert '"topic_herald_list_requested" -> "audit";' in dot.render(event_map)


def test_the_map_draws_the_whole_pipeline() -> None:
    edges = {(e.source, e.target) for e in graph.build().edges}
    pipeline = [
        ("client", "api"),
        ("api", graph.OUTBOX),
        (graph.OUTBOX, "relay"),
        ("relay", "topic_herald_message_enqueued"),
        ("topic_herald_message_enqueued", "render"),
        ("render", graph.OUTBOX),
        ("topic_herald_message_rendered", "deliver"),
        ("deliver", "provider_smtp"),
        ("scheduler", "sweep"),
        ("sweep", graph.TOPICS_GROUP),
    ]
    assert [step for step in pipeline if step not in edges] == []


def test_every_mermaid_edge_joins_declared_nodes() -> None:
    source = mermaid.render(graph.build(EVERYTHING_OBSERVED, (*FUNCTIONS, *NEW_FUNCTIONS)))
    declared = set(re.findall(r"^\s+(\w+)(?:\[|\(|>|\{)", source, re.M))
    declared |= set(re.findall(r"^\s+subgraph (\w+)", source, re.M))
    for source_id, target_id in re.findall(r"^\s+(\w+) -\.?->(?:\|[^|]*\|)? (\w+)$", source, re.M):
        assert {source_id, target_id} <= declared, (source_id, target_id)
    assert source.count("subgraph") == source.count("\n  end\n")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_draws_the_dot_source_and_the_svg_records_its_hash() -> None:
    source = dot.render(graph.build())
    svg = image.render_svg(source)
    assert "<svg" in svg and "message.enqueued v1" in svg
    assert image.drawn_from(svg) == image.source_hash(source)


def test_an_svg_drawn_from_another_source_is_stale(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    svg = (ROOT / image.IMAGE_PATH).read_text()
    assert not generate.image_stale(ROOT)
    (tmp_path / image.IMAGE_PATH).write_text(svg.replace(image.drawn_from(svg) or "", "0" * 64))
    assert generate.image_stale(tmp_path)
    # Only the recorded hash counts, not the drawing: another drawing of the same source passes.
    (tmp_path / image.IMAGE_PATH).write_text(svg.replace("<svg", "<!-- redrawn -->\n<svg", 1))
    assert not generate.image_stale(tmp_path)


def test_the_event_map_section_is_spliced_between_its_markers() -> None:
    text = f"intro\n{readme.START}\nold\n{readme.END}\nrest\n"
    assert readme.splice(text, "new") == f"intro\n{readme.START}\nnew\n{readme.END}\nrest\n"
    with pytest.raises(readme.MarkersMissing):
        readme.splice("no markers here", "new")
    committed = (ROOT / generate.EVENT_MAP_PAGE).read_text()
    assert "```mermaid\nflowchart LR" in committed
    assert (
        "| [`message.sent`](../schemas/events/message.sent.v1.json) | 1 | deliver | webhooks |"
        in (committed)
    )


def test_herald_events_lists_producer_consumers_topic_and_schema_version() -> None:
    found = rows(EVERYTHING_OBSERVED, released={("message.sent", 1)})
    sent = next(r for r in found if r["event"] == "message.sent")
    assert sent == {
        "event": "message.sent",
        "version": "1",
        "producer": "deliver",
        "consumers": "webhooks(v1) audit(v?)",
        "topic": "herald-message-sent",
        "schema": "schemas/events/message.sent.v1.json",
        "released": "yes",
    }
    lines = table(found).splitlines()
    assert lines[0].split() == [
        "event",
        "version",
        "producer",
        "consumers",
        "topic",
        "schema",
        "released",
    ]
    assert len(lines) == len(EVERYTHING_OBSERVED) + 1


def test_the_events_command_prints_every_registered_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from herald_tools.cli import main

    assert main(["events", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["event"], r["version"]) for r in listed] == [
        (s.name, str(s.version)) for s in EVENTS
    ]


def test_without_graphviz_redrawing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(image.RendererMissing, match="apt-get install graphviz"):
        image.render_svg("digraph {}")
