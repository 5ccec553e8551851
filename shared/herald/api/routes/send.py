"""POST /send: Courier's send endpoint."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router

router = Router()


@router.route("POST", "/send")
def send(ctx: Context) -> HttpResponse:
    request_id = ctx.services.sending.send(ctx.workspace, ctx.request.json())
    return HttpResponse(202, {"requestId": request_id})
