"""Customer webhooks: /webhooks/endpoints, their deliveries, and replays.

Mounted through ``ROUTE_MODULES``; the delivering itself is the ``webhooks``
function's (``herald.pipeline.customer_webhooks``).
"""

from __future__ import annotations

from herald.api import models_webhooks as w
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, Operation, cursor
from herald.pipeline.customer_webhooks.deliveries import Deliveries
from herald.resources.parsing import paging
from herald.resources.webhook_endpoints import (
    EndpointBody,
    EndpointChange,
    EndpointService,
    endpoint_view,
)

router = Router()


def _endpoints(ctx: Context) -> EndpointService:
    return ctx.services.webhook_endpoints


@router.route("POST", "/webhooks/endpoints")
def register_endpoint(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).register(ctx.workspace, ctx.request.json())
    return HttpResponse(201, endpoint_view(endpoint, with_secret=True))


@router.route("GET", "/webhooks/endpoints")
def list_endpoints(ctx: Context) -> HttpResponse:
    endpoints, cursor = _endpoints(ctx).page(ctx.workspace, ctx.request.query.get("cursor"))
    return HttpResponse(
        200, {"results": [endpoint_view(e) for e in endpoints], "paging": paging(cursor)}
    )


@router.route("GET", "/webhooks/endpoints/{endpoint_id}")
def get_endpoint(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).get(ctx.workspace, ctx.params["endpoint_id"])
    return HttpResponse(200, endpoint_view(endpoint))


@router.route("PUT", "/webhooks/endpoints/{endpoint_id}")
def change_endpoint(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).change(ctx.workspace, ctx.params["endpoint_id"], ctx.request.json())
    return HttpResponse(200, endpoint_view(endpoint))


@router.route("DELETE", "/webhooks/endpoints/{endpoint_id}")
def delete_endpoint(ctx: Context) -> HttpResponse:
    _endpoints(ctx).delete(ctx.workspace, ctx.params["endpoint_id"])
    return HttpResponse(204, None)


@router.route("POST", "/webhooks/endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(ctx: Context) -> HttpResponse:
    endpoint = _endpoints(ctx).rotate_secret(ctx.workspace, ctx.params["endpoint_id"])
    return HttpResponse(200, endpoint_view(endpoint, with_secret=True))


@router.route("GET", "/webhooks/endpoints/{endpoint_id}/deliveries")
def list_deliveries(ctx: Context) -> HttpResponse:
    endpoint_id = ctx.params["endpoint_id"]
    _endpoints(ctx).get(ctx.workspace, endpoint_id)  # 404 for an unknown endpoint
    deliveries, cursor = Deliveries(ctx.services.documents).page(
        ctx.workspace, endpoint_id, ctx.request.query.get("cursor")
    )
    return HttpResponse(200, {"results": [d.view() for d in deliveries], "paging": paging(cursor)})


@router.route("GET", "/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}")
def get_delivery(ctx: Context) -> HttpResponse:
    delivery = Deliveries(ctx.services.documents).get(
        ctx.workspace, ctx.params["endpoint_id"], ctx.params["delivery_id"]
    )
    return HttpResponse(200, delivery.view())


@router.route("POST", "/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/replay")
def replay_delivery(ctx: Context) -> HttpResponse:
    """Posts the delivery's body again now, freshly signed; answers with its attempts."""
    delivery = ctx.services.webhook_replays.replay(
        ctx.workspace, ctx.params["endpoint_id"], ctx.params["delivery_id"]
    )
    return HttpResponse(200, delivery.view())


def _operations() -> tuple[Operation, ...]:
    endpoint = "/webhooks/endpoints/{endpoint_id}"
    delivery = f"{endpoint}/deliveries/{{delivery_id}}"
    tag = "Webhooks"
    return (
        Operation(
            "POST",
            "/webhooks/endpoints",
            "Register a webhook endpoint",
            tag,
            (Answer(201, w.EndpointWithSecret, "registered; the secret is shown this once"),),
            request=EndpointBody,
        ),
        Operation(
            "GET",
            "/webhooks/endpoints",
            "List webhook endpoints",
            tag,
            (Answer(200, w.EndpointPage, "a page of endpoints, without secrets"),),
            query=(cursor("endpoints"),),
        ),
        Operation(
            "GET",
            endpoint,
            "Get a webhook endpoint",
            tag,
            (Answer(200, w.EndpointView, "the endpoint"),),
        ),
        Operation(
            "PUT",
            endpoint,
            "Change a webhook endpoint",
            tag,
            (Answer(200, w.EndpointView, "the endpoint as changed"),),
            request=EndpointChange,
        ),
        Operation(
            "DELETE", endpoint, "Remove a webhook endpoint", tag, (Answer(204, None, "removed"),)
        ),
        Operation(
            "POST",
            f"{endpoint}/rotate-secret",
            "Rotate an endpoint's secret",
            tag,
            (Answer(200, w.EndpointWithSecret, "the new secret, shown this once"),),
        ),
        Operation(
            "GET",
            f"{endpoint}/deliveries",
            "List an endpoint's deliveries",
            tag,
            (Answer(200, w.DeliveryPage, "a page of deliveries"),),
            query=(cursor("deliveries"),),
        ),
        Operation(
            "GET", delivery, "Get a delivery", tag, (Answer(200, w.DeliveryView, "the delivery"),)
        ),
        Operation(
            "POST",
            f"{delivery}/replay",
            "Replay a delivery now",
            tag,
            (Answer(200, w.DeliveryView, "the delivery with its new attempt"),),
        ),
    )


OPERATIONS = _operations()
