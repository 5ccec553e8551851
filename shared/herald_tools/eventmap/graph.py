"""The event web as a graph: HTTP -> Firestore -> relay -> topics -> functions -> providers.

Built only from the registry (events, producers, consumers), the topology
(functions and their triggers) and the provider catalog, so a new event,
function or provider appears on the map after ``herald generate``. The Mermaid
and DOT renderers draw this one graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from herald.domain.catalog import PROVIDER_CHANNELS
from herald.events.registry import EVENTS, EventSpec
from herald.topology import FUNCTIONS, FunctionSpec, Trigger

# The function that calls the providers: the catalog names providers, not their caller.
PROVIDER_CALLER = "deliver"
# A function that imports the Pub/Sub client publishes to the topics itself.
PUBLISHER_REQUIREMENT = "google-cloud-pubsub"

OUTBOX = "outbox"
TOPICS_GROUP = "topics"
PROVIDERS_GROUP = "providers"


class NodeKind(StrEnum):
    EXTERNAL = "external"  # outside Herald: a client, Cloud Scheduler
    FUNCTION = "function"
    STORE = "store"
    TOPIC = "topic"
    PROVIDER = "provider"


@dataclass(frozen=True)
class Node:
    id: str
    lines: tuple[str, ...]  # the label, one entry a line
    kind: NodeKind


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # a node id, or a group id for "every member of the group"
    lines: tuple[str, ...] = ()
    dashed: bool = False  # a safety net or background path, not the main flow


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class EventMap:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    groups: tuple[Group, ...] = field(default=())


def topic_node_id(spec: EventSpec) -> str:
    return "topic_" + spec.topic.replace("-", "_")


def provider_node_id(provider: str) -> str:
    return f"provider_{provider}"


def build(
    events: Iterable[EventSpec] = EVENTS,
    functions: Iterable[FunctionSpec] = FUNCTIONS,
    providers: Mapping[str, str] = PROVIDER_CHANNELS,
) -> EventMap:
    events, functions = list(events), list(functions)
    nodes: list[Node] = []
    edges: list[Edge] = []

    if any(f.trigger == Trigger.HTTP for f in functions):
        nodes.append(Node("client", ("client",), NodeKind.EXTERNAL))
    if any(f.trigger == Trigger.SCHEDULE for f in functions):
        nodes.append(Node("scheduler", ("Cloud Scheduler",), NodeKind.EXTERNAL))
    nodes.append(Node(OUTBOX, ("Firestore", "message events (outbox)"), NodeKind.STORE))
    nodes += [Node(f.name, (f.name,), NodeKind.FUNCTION) for f in functions]
    topic_ids = tuple(topic_node_id(s) for s in events)
    nodes += [
        Node(topic_node_id(s), (s.topic, f"{s.name} v{s.version}"), NodeKind.TOPIC) for s in events
    ]
    provider_ids = tuple(provider_node_id(p) for p in providers)
    nodes += [
        Node(provider_node_id(p), (p, channel), NodeKind.PROVIDER)
        for p, channel in providers.items()
    ]

    for function in functions:
        if function.trigger == Trigger.HTTP:
            edges.append(Edge("client", function.name, ("HTTPS",)))
        elif function.trigger == Trigger.SCHEDULE:
            edges.append(Edge("scheduler", function.name, ("schedule",)))
        elif function.trigger == Trigger.FIRESTORE:
            edges.append(Edge(OUTBOX, function.name, ("document created",)))

    # Producers write an outbox record beside their state change, in one transaction.
    for function in functions:
        written = [s.name for s in events if function.name in s.producers]
        if written:
            edges.append(Edge(function.name, OUTBOX, tuple(written)))

    # Publishers: the relay publishes each record to its topic; others re-publish (the sweeper).
    for function in functions:
        if PUBLISHER_REQUIREMENT not in function.extra_requirements:
            continue
        if function.trigger == Trigger.FIRESTORE:
            edges += [Edge(function.name, topic_node_id(s)) for s in events]
        else:
            edges.append(Edge(function.name, TOPICS_GROUP, ("republishes",), dashed=True))

    edges += [Edge(topic_node_id(s), consumer) for s in events for consumer in s.consumers]

    if providers and any(f.name == PROVIDER_CALLER for f in functions):
        edges += [Edge(PROVIDER_CALLER, provider_node_id(p)) for p in providers]

    groups = [Group(TOPICS_GROUP, "Pub/Sub topics", topic_ids)]
    if provider_ids:
        groups.append(Group(PROVIDERS_GROUP, "providers", provider_ids))
    return EventMap(tuple(nodes), tuple(edges), tuple(groups))
