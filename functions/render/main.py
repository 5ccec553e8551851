"""render: push-subscribed to the topics of the events it consumes (see the event registry)."""

import functions_framework
from cloudevents.http import CloudEvent

from herald import bootstrap
from herald.entrypoints import serving
from herald.entrypoints.pubsub import consume

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed


@functions_framework.cloud_event
def handle(cloud_event: CloudEvent) -> None:
    consume(cloud_event.get_data(), "render", bootstrap.render_service().handle)
