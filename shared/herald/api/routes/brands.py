"""Courier's brands API: /brands and /brands/{brand_id}."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.resources.brands import BrandService

router = Router()


def _brands(ctx: Context) -> BrandService:
    return BrandService(ctx.services.documents)


@router.route("GET", "/brands")
def find_brands(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _brands(ctx).find(ctx.workspace, ctx.request.query.get("cursor")))


@router.route("POST", "/brands")
def create_brand(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _brands(ctx).create(ctx.workspace, ctx.request.json()))


@router.route("GET", "/brands/{brand_id}")
def get_brand(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _brands(ctx).get(ctx.workspace, ctx.params["brand_id"]))


@router.route("PUT", "/brands/{brand_id}")
def replace_brand(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _brands(ctx).replace(ctx.workspace, ctx.params["brand_id"], ctx.request.json())
    )


@router.route("DELETE", "/brands/{brand_id}")
def delete_brand(ctx: Context) -> HttpResponse:
    _brands(ctx).delete(ctx.workspace, ctx.params["brand_id"])
    return HttpResponse(204, None)
