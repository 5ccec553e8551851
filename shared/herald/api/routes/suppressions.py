"""A workspace's suppression list: read it, and lift an entry."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.services.suppression import SuppressionList

router = Router()


def _list(ctx: Context) -> SuppressionList:
    return SuppressionList(ctx.services.documents)


@router.route("GET", "/suppressions")
def list_suppressions(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _list(ctx).page(ctx.workspace, ctx.request.query.get("cursor")))


@router.route("GET", "/suppressions/{address}")
def get_suppression(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _list(ctx).get(ctx.workspace, ctx.params["address"]))


@router.route("DELETE", "/suppressions/{address}")
def lift_suppression(ctx: Context) -> HttpResponse:
    _list(ctx).delete(ctx.workspace, ctx.params["address"])
    return HttpResponse(204, None)
