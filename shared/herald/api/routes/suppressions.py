"""A workspace's suppression list: read it, and lift an entry."""

from __future__ import annotations

from pydantic import BaseModel

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer, cursor
from herald.domain.suppression import SuppressionEntry
from herald.domain.views import Paging
from herald.resources.suppressions import SuppressionList

router = Router()


class SuppressionPage(BaseModel):
    items: list[SuppressionEntry]
    paging: Paging


TAG = "Suppressions"


def _list(ctx: Context) -> SuppressionList:
    return SuppressionList(ctx.services.documents)


@router.get(
    "/suppressions",
    summary="The workspace's suppressed addresses: bounced, complained or unsubscribed",
    tag=TAG,
    answers=(Answer(200, SuppressionPage, "a page of entries"),),
    query=(cursor("suppressions"),),
)
def list_suppressions(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _list(ctx).page(ctx.workspace, ctx.request.query.get("cursor")))


@router.get(
    "/suppressions/{address}",
    summary="Whether an address (an email, or an E.164 number) is suppressed, and why",
    tag=TAG,
    answers=(Answer(200, SuppressionEntry, "the entry"),),
)
def get_suppression(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _list(ctx).get(ctx.workspace, ctx.params["address"]))


@router.delete(
    "/suppressions/{address}",
    summary="Lifts a suppression: sends to the address go out again",
    tag=TAG,
    answers=(Answer(204, None, "lifted"),),
)
def lift_suppression(ctx: Context) -> HttpResponse:
    _list(ctx).delete(ctx.workspace, ctx.params["address"])
    return HttpResponse(204, None)
