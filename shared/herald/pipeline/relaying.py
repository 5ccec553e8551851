"""The relay: publishes each new outbox record to its event type's topic."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from herald import faults
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for
from herald.observability import logs
from herald.publish.base import Publisher
from herald.store.base import MessageRepository


class RelayService:
    def __init__(
        self,
        messages: MessageRepository,
        publisher: Publisher,
        attributes: Callable[[EventEnvelope], dict[str, str]] | None = None,
    ) -> None:
        self.messages = messages
        self.publisher = publisher
        # More attributes for an event, which subscriptions filter on (registry's filters).
        self.attributes = attributes

    def handle_write(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
        """Called for an outbox document event; publishes only on create.

        The trigger is for creates only, but an update (the published mark), a
        delete (TTL) or a no-op write that reaches it anyway is ignored: nothing
        depends on them. So is a record written as published: an event kept as history
        only, as the outbox held them before they were stored apart.
        """
        if before is not None or after is None or after.get("published_ms") is not None:
            return False
        envelope = EventEnvelope.model_validate(
            {k: v for k, v in after.items() if k in EventEnvelope.model_fields}
        )
        self.publish(envelope)
        return True

    def publish(self, envelope: EventEnvelope) -> None:
        spec = spec_for(envelope.type)
        data = json.dumps(envelope.model_dump(mode="json"), separators=(",", ":")).encode()
        attributes = envelope.attributes()
        if self.attributes is not None:
            attributes.update(self.attributes(envelope))
        message_id = self.publisher.publish(spec.topic, data, attributes)
        if faults.duplicate():
            self.publisher.publish(spec.topic, data, attributes)
            logs.warning("fault injected: event published twice", event_id=envelope.id)
        # Only for the sweeper's benefit: a lost mark means at worst a duplicate
        # publish, which every consumer dedupes on the event id.
        self.messages.mark_published(envelope.workspace, envelope.message_id, envelope.seq)
        logs.info(
            "event published",
            event_id=envelope.id,
            event_type=envelope.type,
            topic=spec.topic,
            pubsub_message_id=message_id,
        )
