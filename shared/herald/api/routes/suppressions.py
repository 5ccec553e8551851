"""A workspace's suppression list: read it, and lift an entry."""

from __future__ import annotations

from pydantic import BaseModel

from herald.api.http import Context, HttpResponse, Router
from herald.api.models import Paging
from herald.api.operation import Answer, Operation, cursor
from herald.domain.suppression import SuppressionEntry
from herald.resources.suppressions import SuppressionList

router = Router()


class SuppressionPage(BaseModel):
    items: list[SuppressionEntry]
    paging: Paging


OPERATIONS = (
    Operation(
        "GET",
        "/suppressions",
        "The workspace's suppressed addresses: bounced, complained or unsubscribed",
        "Suppressions",
        (Answer(200, SuppressionPage, "a page of entries"),),
        query=(cursor("suppressions"),),
    ),
    Operation(
        "GET",
        "/suppressions/{address}",
        "Whether an address (an email, or an E.164 number) is suppressed, and why",
        "Suppressions",
        (Answer(200, SuppressionEntry, "the entry"),),
    ),
    Operation(
        "DELETE",
        "/suppressions/{address}",
        "Lifts a suppression: sends to the address go out again",
        "Suppressions",
        (Answer(204, None, "lifted"),),
    ),
)


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
