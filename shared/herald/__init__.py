"""Herald: an open-source notification backend on Google Cloud.

A Courier-compatible ``POST /send`` in front of an event-driven pipeline:
api -> Firestore (state + outbox) -> relay -> Pub/Sub -> render / deliver / log.
"""

__version__ = "0.1.0"
