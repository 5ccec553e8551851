"""POST /send: Courier's send endpoint."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.domain.send import MAX_SEND_BYTES
from herald.errors import PayloadTooLarge

router = Router()


@router.route("POST", "/send")
def send(ctx: Context) -> HttpResponse:
    if len(ctx.request.body) > MAX_SEND_BYTES:
        raise PayloadTooLarge.of(
            "body",
            f"is larger than {MAX_SEND_BYTES // 1024} KiB, the most a message can hold"
            " (a Firestore document holds 1 MiB with its rendered output)",
        )
    request_id = ctx.services.sending.send(ctx.workspace, ctx.request.json())
    return HttpResponse(202, {"requestId": request_id})
