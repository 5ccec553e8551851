"""Response bodies of the customer webhooks API (``/webhooks/endpoints``), as models.

The routes answer ``endpoint_view`` and ``Delivery.view`` dicts; these describe
them for the OpenAPI document, and a unit test validates real answers against
them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from herald.domain.views import Paging
from herald.pipeline.customer_webhooks.deliveries import AttemptRecord, DeliveryState


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EndpointView(_View):
    """An endpoint, without its secret."""

    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    disabled_ms: int | None
    consecutive_failures: int
    created_ms: int
    updated_ms: int


class EndpointWithSecret(EndpointView):
    """An endpoint as registered or rotated: the only answers that show its secret."""

    secret: str


class EndpointPage(_View):
    results: list[EndpointView]
    paging: Paging


class DeliveryView(_View):
    """One event's delivery to one endpoint, with its newest attempts."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    message_id: str
    request_id: str
    state: DeliveryState
    attempts: list[AttemptRecord]
    tries: int
    first_try_ms: int | None
    next_try_ms: int | None
    failure: str | None
    created_ms: int


class DeliveryPage(_View):
    results: list[DeliveryView]
    paging: Paging
