"""relay: Firestore outbox creates (Eventarc) -> one Pub/Sub topic per event type."""

import functions_framework
from cloudevents.http import CloudEvent

from herald import bootstrap, logs
from herald.entrypoints import firestore
from herald.errors import UndecodableEvent


@functions_framework.cloud_event
def handle(cloud_event: CloudEvent) -> None:
    try:
        before, after = firestore.decode(cloud_event.get_data())
    except UndecodableEvent as exc:
        logs.error("outbox event dropped", error=str(exc), subject=cloud_event.get("subject"))
        return
    bootstrap.relay_service().handle_write(before, after)
