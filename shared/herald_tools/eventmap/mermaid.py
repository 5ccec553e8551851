"""The event map as a Mermaid flowchart, for the pipeline page (GitHub and the site draw it)."""

from __future__ import annotations

from herald_tools.eventmap.graph import Edge, EventMap, Node, NodeKind

# Shapes by kind: ["..."] box, (["..."]) stadium, [("...")] cylinder, {{"..."}} hexagon.
_SHAPES: dict[NodeKind, tuple[str, str]] = {
    NodeKind.EXTERNAL: ('(["', '"])'),
    NodeKind.FUNCTION: ('["', '"]'),
    NodeKind.STORE: ('[("', '")]'),
    NodeKind.TOPIC: ('>"', '"]'),
    NodeKind.PROVIDER: ('{{"', '"}}'),
}
_STYLES: dict[NodeKind, str] = {
    NodeKind.EXTERNAL: "fill:#eeeeee,stroke:#888888",
    NodeKind.FUNCTION: "fill:#dbe9ff,stroke:#3b6fb6",
    NodeKind.STORE: "fill:#fff1cc,stroke:#b58900",
    NodeKind.TOPIC: "fill:#e6f5e6,stroke:#3c8d3c",
    NodeKind.PROVIDER: "fill:#f6e0f0,stroke:#a3418a",
}


def _text(lines: tuple[str, ...]) -> str:
    # Inside a quoted Mermaid label a double quote is the only character to escape.
    return "<br/>".join(line.replace('"', "#quot;") for line in lines)


def _node(node: Node) -> str:
    opening, closing = _SHAPES[node.kind]
    return f"{node.id}{opening}{_text(node.lines)}{closing}"


def _edge(edge: Edge) -> str:
    arrow = "-.->" if edge.dashed else "-->"
    label = f'|"{_text(edge.lines)}"|' if edge.lines else ""
    return f"{edge.source} {arrow}{label} {edge.target}"


def render(event_map: EventMap) -> str:
    grouped = {member for group in event_map.groups for member in group.members}
    by_id = {node.id: node for node in event_map.nodes}
    lines = ["flowchart LR"]
    lines += [f"  {_node(n)}" for n in event_map.nodes if n.id not in grouped]
    for group in event_map.groups:
        lines.append(f'  subgraph {group.id} ["{group.label}"]')
        lines += [f"    {_node(by_id[member])}" for member in group.members]
        lines.append("  end")
    lines += [f"  {_edge(e)}" for e in event_map.edges]
    for kind, style in _STYLES.items():
        members = [n.id for n in event_map.nodes if n.kind == kind]
        if members:
            lines.append(f"  classDef {kind.value} {style}")
            lines.append(f"  class {','.join(members)} {kind.value}")
    return "\n".join(lines) + "\n"
