"""relay: Firestore outbox creates (Eventarc) -> one Pub/Sub topic per event type."""

import functions_framework
from cloudevents.http import CloudEvent

from herald.bootstrap import FirestoreAdapters, build
from herald.entrypoints import serving
from herald.entrypoints.outbox import relay

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed
services = build(FirestoreAdapters())  # each client made on first use, once per instance


@functions_framework.cloud_event
def handle(cloud_event: CloudEvent) -> None:
    relay(services.relay, cloud_event.get_data(), cloud_event.get("subject"))
