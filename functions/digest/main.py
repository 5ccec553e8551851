"""digest: push-subscribed to the topics of the events it consumes (see the event registry)."""

import functions_framework
from cloudevents.http import CloudEvent

from herald.bootstrap import FirestoreAdapters, build
from herald.entrypoints import serving
from herald.entrypoints.pubsub import consume

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed
services = build(FirestoreAdapters())  # each client made on first use, once per instance


@functions_framework.cloud_event
def handle(cloud_event: CloudEvent) -> None:
    consume(cloud_event.get_data(), "digest", services.digest.handle)
