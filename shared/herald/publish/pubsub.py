"""Google Cloud Pub/Sub publisher."""

from __future__ import annotations

from google.cloud import pubsub_v1  # type: ignore[attr-defined]

PUBLISH_TIMEOUT_S = 30.0


class PubSubPublisher:
    def __init__(self, project: str, client: pubsub_v1.PublisherClient | None = None) -> None:
        self._project = project
        self._client = client or pubsub_v1.PublisherClient(
            publisher_options=pubsub_v1.types.PublisherOptions(
                # Puts W3C trace context in the googclient_traceparent attribute.
                enable_open_telemetry_tracing=True
            )
        )

    def publish(self, topic: str, data: bytes, attributes: dict[str, str]) -> str:
        future = self._client.publish(
            self._client.topic_path(self._project, topic), data, **attributes
        )
        message_id: str = future.result(timeout=PUBLISH_TIMEOUT_S)
        return message_id
