"""Which channels a message goes out on (Courier's ``routing``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herald.domain.send import CHANNELS


@dataclass(frozen=True)
class RoutePlan:
    method: str
    channels: list[str]

    @property
    def routable(self) -> bool:
        return bool(self.channels)


# Where a stored recipient keeps its address for each channel.
ADDRESS_FIELD = {
    "email": "email",
    "sms": "phone_number",
    "push": "firebaseToken",
    "chat": "slack",
    "webhook": "webhook",
}


def _has_address(recipient: dict[str, Any], channel: str) -> bool:
    return bool(recipient.get(ADDRESS_FIELD[channel]))


def plan_route(recipient: dict[str, Any], routing: dict[str, Any] | None) -> RoutePlan:
    """``single`` tries the channels in order, ``all`` sends on each of them.

    A channel the recipient has no address for is skipped; with no routing given,
    every channel Herald knows is a candidate, in its default order.
    """
    method = routing["method"] if routing else "single"
    wanted = routing["channels"] if routing else list(CHANNELS)
    return RoutePlan(method, [c for c in wanted if _has_address(recipient, c)])
