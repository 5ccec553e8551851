"""POST /send: Courier's send endpoint."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.domain.send import MAX_SEND_BYTES

router = Router()


# A message's document holds its content, data and rendered output, within Firestore's
# 1 MiB per document (Courier takes 6 MB).
@router.route("POST", "/send", max_body=MAX_SEND_BYTES)
def send(ctx: Context) -> HttpResponse:
    request_id = ctx.services.sending.send(ctx.workspace, ctx.request.json())
    return HttpResponse(202, {"requestId": request_id})
