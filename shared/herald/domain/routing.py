"""Which channels a message goes out on (Courier's ``routing``, nested to any depth)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from herald.domain.send import CHANNELS, NAMED_ONLY_CHANNELS

RouteTree = dict[str, Any]  # {"method": "single" | "all", "channels": [channel or tree, ...]}


@dataclass(frozen=True)
class RoutePlan:
    tree: RouteTree
    channels: list[str]  # every channel of the tree, in order

    @property
    def method(self) -> str:
        return str(self.tree["method"])

    @property
    def routable(self) -> bool:
        return bool(self.channels)


# Where a stored recipient keeps its addresses for each channel (chat: Slack or Teams).
ADDRESS_FIELDS = {
    "email": ("email",),
    "sms": ("phone_number",),
    "push": ("firebaseToken",),
    "chat": ("slack", "ms_teams"),
    "webhook": ("webhook",),
    "inbox": ("user_id",),  # the inbox is the user's own
}


def has_address(recipient: dict[str, Any], channel: str) -> bool:
    return any(recipient.get(field) for field in ADDRESS_FIELDS[channel])


def leaves(tree: RouteTree) -> list[str]:
    found: list[str] = []
    for node in tree["channels"]:
        found.extend(leaves(node) if isinstance(node, dict) else [node])
    return found


def _prune(tree: RouteTree, usable: set[str]) -> RouteTree | None:
    kept: list[Any] = []
    for node in tree["channels"]:
        if isinstance(node, dict):
            if (pruned := _prune(node, usable)) is not None:
                kept.append(pruned)
        elif node in usable and node not in kept:
            kept.append(node)
    return {"method": tree["method"], "channels": kept} if kept else None


def plan_route(
    recipient: dict[str, Any],
    routing: RouteTree | None,
    allowed: Iterable[str] | None = None,
) -> RoutePlan:
    """``single`` tries its channels in order, ``all`` sends on each of them.

    A channel the recipient has no address for, or that ``allowed`` (the
    recipient's preferences) leaves out, is dropped, and a group left empty with
    it; with no routing given, every channel Herald knows is a candidate, in its
    default order, ``single``.
    """
    tree = routing or {"method": "single", "channels": list(CHANNELS)}
    usable = {c for c in (*CHANNELS, *NAMED_ONLY_CHANNELS) if has_address(recipient, c)}
    if allowed is not None:
        usable &= set(allowed)
    pruned = _prune(tree, usable) or {"method": tree["method"], "channels": []}
    return RoutePlan(pruned, leaves(pruned))
