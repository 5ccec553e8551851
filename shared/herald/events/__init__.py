"""Events: the envelope every event travels in and the registry naming them all."""

from herald.events.envelope import EventEnvelope, NewEvent
from herald.events.registry import EVENTS, EventSpec, spec_for

__all__ = ["EVENTS", "EventEnvelope", "EventSpec", "NewEvent", "spec_for"]
