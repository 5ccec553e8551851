"""Customer webhooks: /webhooks/endpoints, their deliveries, and replays.

Mounted through ``ROUTE_MODULES``; the delivering itself is the ``webhooks``
function's (``herald.pipeline.customer_webhooks``).
"""

from __future__ import annotations

from herald.api import models_webhooks as w
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, cursor
from herald.pipeline.customer_webhooks.deliveries import Deliveries
from herald.resources.parsing import paging
from herald.resources.webhook_endpoints import (
    EndpointBody,
    EndpointChange,
    EndpointService,
    endpoint_view,
)

router = Router()
TAG = "Webhooks"
ENDPOINT = "/webhooks/endpoints/{endpoint_id}"
DELIVERY = f"{ENDPOINT}/deliveries/{{delivery_id}}"


def _endpoints(ctx: Context) -> EndpointService:
    return ctx.services.webhook_endpoints


@router.post(
    "/webhooks/endpoints",
    summary="Register a webhook endpoint",
    tag=TAG,
    request=EndpointBody,
    answers=(Answer(201, w.EndpointWithSecret, "registered; the secret is shown this once"),),
)
def register_endpoint(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).register(ctx.workspace, ctx.request.json())
    return HttpResponse(201, endpoint_view(endpoint, with_secret=True))


@router.get(
    "/webhooks/endpoints",
    summary="List webhook endpoints",
    tag=TAG,
    answers=(Answer(200, w.EndpointPage, "a page of endpoints, without secrets"),),
    query=(cursor("endpoints"),),
)
def list_endpoints(ctx: Context) -> HttpResponse:
    endpoints, cursor = _endpoints(ctx).page(ctx.workspace, ctx.request.query.get("cursor"))
    return HttpResponse(
        200, {"results": [endpoint_view(e) for e in endpoints], "paging": paging(cursor)}
    )


@router.get(
    ENDPOINT,
    summary="Get a webhook endpoint",
    tag=TAG,
    answers=(Answer(200, w.EndpointView, "the endpoint"),),
)
def get_endpoint(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).get(ctx.workspace, ctx.params["endpoint_id"])
    return HttpResponse(200, endpoint_view(endpoint))


@router.put(
    ENDPOINT,
    summary="Change a webhook endpoint",
    tag=TAG,
    request=EndpointChange,
    answers=(Answer(200, w.EndpointView, "the endpoint as changed"),),
)
def change_endpoint(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).change(ctx.workspace, ctx.params["endpoint_id"], ctx.request.json())
    return HttpResponse(200, endpoint_view(endpoint))


@router.delete(
    ENDPOINT,
    summary="Remove a webhook endpoint",
    tag=TAG,
    answers=(Answer(204, None, "removed"),),
)
def delete_endpoint(ctx: Context) -> HttpResponse:
    _endpoints(ctx).delete(ctx.workspace, ctx.params["endpoint_id"])
    return HttpResponse(204, None)


@router.post(
    f"{ENDPOINT}/rotate-secret",
    summary="Rotate an endpoint's secret",
    tag=TAG,
    answers=(Answer(200, w.EndpointWithSecret, "the new secret, shown this once"),),
)
def rotate_secret(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).rotate_secret(ctx.workspace, ctx.params["endpoint_id"])
    return HttpResponse(200, endpoint_view(endpoint, with_secret=True))


@router.get(
    f"{ENDPOINT}/deliveries",
    summary="List an endpoint's deliveries",
    tag=TAG,
    answers=(Answer(200, w.DeliveryPage, "a page of deliveries"),),
    query=(cursor("deliveries"),),
)
def list_deliveries(ctx: Context) -> HttpResponse:
    endpoint_id = ctx.params["endpoint_id"]
    _endpoints(ctx).get(ctx.workspace, endpoint_id)  # 404 for an unknown endpoint
    deliveries, cursor = Deliveries(ctx.services.documents).page(
        ctx.workspace, endpoint_id, ctx.request.query.get("cursor")
    )
    return HttpResponse(200, {"results": [d.view() for d in deliveries], "paging": paging(cursor)})


@router.get(
    DELIVERY,
    summary="Get a delivery",
    tag=TAG,
    answers=(Answer(200, w.DeliveryView, "the delivery"),),
)
def get_delivery(ctx: Context) -> HttpResponse:
    delivery = Deliveries(ctx.services.documents).get(
        ctx.workspace, ctx.params["endpoint_id"], ctx.params["delivery_id"]
    )
    return HttpResponse(200, delivery.view())


@router.post(
    f"{DELIVERY}/replay",
    summary="Replay a delivery now",
    tag=TAG,
    answers=(Answer(200, w.DeliveryView, "the delivery with its new attempt"),),
)
def replay_delivery(ctx: Context) -> HttpResponse:
    """Posts the delivery's body again now, freshly signed; answers with its attempts."""
    delivery = ctx.services.webhook_replays.replay(
        ctx.workspace, ctx.params["endpoint_id"], ctx.params["delivery_id"]
    )
    return HttpResponse(200, delivery.view())
