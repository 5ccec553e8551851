"""The workspace's quota on POSTs: read it, set its own under its ceiling, or drop it."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer
from herald.resources.quotas import QuotaBody, QuotaView

router = Router()
TAG = "Quota"
QUOTA = Answer(200, QuotaView, "the quota in effect, the ceiling and the workspace's own")
CEILING = (
    " A workspace may set its quota up to its ceiling, the operator's grant"
    " (`herald quota`) or else the deployment's default; only the operator raises that."
)


@router.get(
    "/quota",
    summary="Get the workspace's quota",
    tag=TAG,
    description="The quota on this workspace's POSTs (a test key's: its test namespace's)."
    + CEILING,
    answers=(QUOTA,),
)
def get_quota(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.quotas.view(ctx.workspace).model_dump(mode="json"))


@router.put(
    "/quota",
    summary="Set the workspace's own quota",
    tag=TAG,
    description="Either field alone keeps the other; a figure over the ceiling is a 400"
    " naming it." + CEILING,
    request=QuotaBody,
    answers=(QUOTA,),
)
def put_quota(ctx: Context) -> HttpResponse:
    view = ctx.services.quotas.set_own(ctx.workspace, ctx.request.json())
    return HttpResponse(200, view.model_dump(mode="json"))


@router.delete(
    "/quota",
    summary="Drop the workspace's own quota",
    tag=TAG,
    description="The ceiling is in effect again.",
    answers=(QUOTA,),
)
def delete_quota(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.quotas.clear_own(ctx.workspace).model_dump(mode="json"))
