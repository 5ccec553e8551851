"""Courier's brands API: /brands and /brands/{brand_id}."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, cursor
from herald.resources.brands import BrandBody, BrandService

router = Router()
TAG = "Brands"


def _brands(ctx: Context) -> BrandService:
    return BrandService(ctx.services.documents)


@router.get(
    "/brands",
    summary="List brands",
    tag=TAG,
    answers=(Answer(200, d.BrandPage, "a page of brands"),),
    query=(cursor("brands"),),
)
def find_brands(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _brands(ctx).find(ctx.workspace, ctx.request.query.get("cursor")))


@router.post(
    "/brands",
    summary="Create a brand",
    tag=TAG,
    request=BrandBody,
    answers=(Answer(200, d.BrandView, "the brand as stored"),),
)
def create_brand(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _brands(ctx).create(ctx.workspace, ctx.request.json()))


@router.get(
    "/brands/{brand_id}",
    summary="Get a brand",
    tag=TAG,
    answers=(Answer(200, d.BrandView, "the brand"),),
)
def get_brand(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _brands(ctx).get(ctx.workspace, ctx.params["brand_id"]))


@router.put(
    "/brands/{brand_id}",
    summary="Replace a brand",
    tag=TAG,
    request=BrandBody,
    answers=(Answer(200, d.BrandView, "the brand as stored"),),
)
def replace_brand(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _brands(ctx).replace(ctx.workspace, ctx.params["brand_id"], ctx.request.json())
    )


@router.delete("/brands/{brand_id}", summary="Delete a brand", tag=TAG, answers=(NO_CONTENT,))
def delete_brand(ctx: Context) -> HttpResponse:
    _brands(ctx).delete(ctx.workspace, ctx.params["brand_id"])
    return HttpResponse(204, None)
