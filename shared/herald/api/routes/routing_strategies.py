"""Courier's routing strategies: named routing that templates share."""

from __future__ import annotations

from herald.api import models_configuration as c
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.routing_strategies import (
    RoutingStrategyService,
    StrategyBody,
)

router = Router()
TAG = "Routing strategies"
STRATEGY = "/routing-strategies/{id}"
LIMIT = Query("limit", "how many to return: 1 to 100, 20 if not given")


def _strategies(ctx: Context) -> RoutingStrategyService:
    return RoutingStrategyService(ctx.services.documents, api_actor(ctx.request))


@router.get(
    "/routing-strategies",
    summary="List routing strategies",
    tag=TAG,
    answers=(Answer(200, c.RoutingStrategyPage, "a page of strategies, without their routing"),),
    query=(cursor("strategies"), LIMIT),
)
def find_strategies(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _strategies(ctx).find(ctx.workspace, ctx.request.query))


@router.post(
    "/routing-strategies",
    summary="Create a routing strategy",
    tag=TAG,
    description=(
        "`routing`, `channels` and `providers` as a send's, checked as a send's are; its id"
        " (`rs_...`) is generated. A template names it in `routing_strategy_id`."
    ),
    request=StrategyBody,
    answers=(Answer(200, c.RoutingStrategyView, "the strategy as stored"),),
)
def create_strategy(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _strategies(ctx).create(ctx.workspace, ctx.request.json()))


@router.get(
    STRATEGY,
    summary="Get a routing strategy",
    tag=TAG,
    answers=(Answer(200, c.RoutingStrategyView, "the strategy"),),
)
def get_strategy(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _strategies(ctx).get(ctx.workspace, ctx.params["id"]))


@router.put(
    STRATEGY,
    summary="Replace a routing strategy",
    tag=TAG,
    description="What the body omits is cleared; the templates naming it route the new way.",
    request=StrategyBody,
    answers=(Answer(200, c.RoutingStrategyView, "the strategy as stored"),),
)
def replace_strategy(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _strategies(ctx).replace(ctx.workspace, ctx.params["id"], ctx.request.json())
    )


@router.delete(
    STRATEGY,
    summary="Archive a routing strategy",
    tag=TAG,
    description="Only one that no template names: otherwise a 409.",
    answers=(NO_CONTENT, Answer(409, None, "a template still names the strategy")),
)
def archive_strategy(ctx: Context) -> HttpResponse:
    _strategies(ctx).archive(ctx.workspace, ctx.params["id"])
    return HttpResponse(204, None)


@router.get(
    STRATEGY + "/notifications",
    summary="List the templates that use a routing strategy",
    tag=TAG,
    description="Of the workspace's first 1000 templates, by id.",
    answers=(Answer(200, c.StrategyTemplatePage, "a page of templates"),),
    query=(cursor("templates"), LIMIT),
)
def strategy_templates(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _strategies(ctx).notifications(ctx.workspace, ctx.params["id"], ctx.request.query)
    )
