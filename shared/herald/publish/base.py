"""The publisher interface."""

from __future__ import annotations

from typing import Protocol


class Publisher(Protocol):
    def publish(self, topic: str, data: bytes, attributes: dict[str, str]) -> str:
        """Publishes and waits for the server's ack; returns the message id."""
        ...
