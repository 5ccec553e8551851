"""The event map in Graphviz's DOT language: the source of the rendered image."""

from __future__ import annotations

from herald_tools.eventmap.graph import Edge, EventMap, Node, NodeKind

_ATTRIBUTES: dict[NodeKind, str] = {
    NodeKind.EXTERNAL: 'shape=oval style=filled fillcolor="#eeeeee" color="#888888"',
    NodeKind.FUNCTION: 'shape=box style="rounded,filled" fillcolor="#dbe9ff" color="#3b6fb6"',
    NodeKind.STORE: 'shape=cylinder style=filled fillcolor="#fff1cc" color="#b58900"',
    NodeKind.TOPIC: 'shape=cds style=filled fillcolor="#e6f5e6" color="#3c8d3c"',
    NodeKind.PROVIDER: 'shape=hexagon style=filled fillcolor="#f6e0f0" color="#a3418a"',
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(lines: tuple[str, ...]) -> str:
    return _quote("\n".join(lines)).replace("\n", "\\n")


def _node(node: Node) -> str:
    return f"{_quote(node.id)} [label={_label(node.lines)} {_ATTRIBUTES[node.kind]}];"


def _edge(edge: Edge, event_map: EventMap) -> str:
    attributes = []
    target = edge.target
    group = next((g for g in event_map.groups if g.id == edge.target), None)
    if group is not None:
        # An edge to a whole group: drawn to its middle member, clipped at the cluster.
        target = group.members[len(group.members) // 2]
        attributes.append(f"lhead={_quote('cluster_' + group.id)}")
    if edge.lines:
        attributes.append(f"label={_label(edge.lines)}")
    if edge.dashed:
        attributes.append("style=dashed")
    suffix = f" [{' '.join(attributes)}]" if attributes else ""
    return f"{_quote(edge.source)} -> {_quote(target)}{suffix};"


def render(event_map: EventMap) -> str:
    grouped = {member for group in event_map.groups for member in group.members}
    by_id = {node.id: node for node in event_map.nodes}
    lines = [
        "digraph herald {",
        "  rankdir=LR; compound=true; newrank=true; nodesep=0.25; ranksep=0.6;",
        '  graph [fontname="Helvetica" fontsize=11];',
        '  node [fontname="Helvetica" fontsize=11];',
        '  edge [fontname="Helvetica" fontsize=9 color="#555555"];',
    ]
    lines += [f"  {_node(n)}" for n in event_map.nodes if n.id not in grouped]
    for group in event_map.groups:
        lines.append(f"  subgraph {_quote('cluster_' + group.id)} {{")
        lines.append(f'    label={_quote(group.label)}; style=dashed; color="#999999";')
        lines += [f"    {_node(by_id[member])}" for member in group.members]
        lines.append("  }")
    lines += [f"  {_edge(e, event_map)}" for e in event_map.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"
