"""A publisher that keeps what it was given, for unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Published:
    topic: str
    data: bytes
    attributes: dict[str, str]


@dataclass
class InMemoryPublisher:
    messages: list[Published] = field(default_factory=list)

    def publish(self, topic: str, data: bytes, attributes: dict[str, str]) -> str:
        self.messages.append(Published(topic, data, dict(attributes)))
        return str(len(self.messages))
