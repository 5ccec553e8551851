"""POST /send: Courier's send endpoint."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.domain.send import MAX_SEND_BYTES
from herald.errors import ValidationFailed

router = Router()


@router.route("POST", "/send")
def send(ctx: Context) -> HttpResponse:
    if len(ctx.request.body) > MAX_SEND_BYTES:
        raise ValidationFailed.of("body", f"is larger than {MAX_SEND_BYTES} bytes")
    request_id = ctx.services.sending.send(ctx.workspace, ctx.request.json())
    return HttpResponse(202, {"requestId": request_id})
