"""Whether a workspace has webhook endpoints: the attribute that filters the observer.

The relay sets ``webhook_endpoints`` on every event the webhooks observer
consumes: ``none`` when the workspace has no enabled endpoint that wants
message events, so that its subscriptions' filter keeps the event from the
observer and it costs no invocation. An instance keeps each workspace's answer
``cache_s`` seconds (bounded to ``max_workspaces``): an endpoint registered or
enabled gets the events relayed from at most that long after; one relayed
before then may skip it, as it would have if it had been relayed before the
endpoint existed. A retry of a delivery (``webhook.retry_due``) is never
filtered: its endpoint decides.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from herald.config import DEFAULT_WEBHOOK_ENDPOINTS_CACHE_S
from herald.events.envelope import EventEnvelope
from herald.events.registry import (
    NO_ENDPOINTS,
    SOME_ENDPOINTS,
    WEBHOOK_ENDPOINTS_ATTRIBUTE,
    spec_for,
)
from herald.resources.webhook_endpoints import MESSAGE_UPDATED, EndpointService
from herald.store.documents import DocumentStore

OBSERVER = "webhooks"
RETRY_EVENT = "webhook.retry_due"
MAX_WORKSPACES = 10_000


class EndpointPresence:
    def __init__(
        self,
        documents: DocumentStore,
        cache_s: float = DEFAULT_WEBHOOK_ENDPOINTS_CACHE_S,
        max_workspaces: int = MAX_WORKSPACES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = EndpointService(documents)
        self.cache_s = cache_s
        self.max_workspaces = max_workspaces
        self.clock = clock
        self._known: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    def has_endpoints(self, workspace: str) -> bool:
        now = self.clock()
        known = self._known.get(workspace)
        if known is not None and known[0] > now:
            return known[1]
        found = any(e.wants(MESSAGE_UPDATED) for e in self.endpoints.all(workspace))
        if self.cache_s > 0:
            self._known[workspace] = (now + self.cache_s, found)
            self._known.move_to_end(workspace)
            while len(self._known) > self.max_workspaces:
                self._known.popitem(last=False)
        return found

    def attributes(self, envelope: EventEnvelope) -> dict[str, str]:
        """The attribute for an event the observer consumes; nothing for the others."""
        if envelope.type == RETRY_EVENT or OBSERVER not in spec_for(envelope.type).consumers:
            return {}
        present = self.has_endpoints(envelope.workspace)
        return {WEBHOOK_ENDPOINTS_ATTRIBUTE: SOME_ENDPOINTS if present else NO_ENDPOINTS}
