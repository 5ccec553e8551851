"""POST /send: Courier's send endpoint."""

from __future__ import annotations

from herald.api.bodies import size_text
from herald.api.http import Context, HttpResponse, Router
from herald.api.models import ErrorBody, SendAccepted
from herald.api.operation import Answer
from herald.domain.send import MAX_SEND_BYTES, SendRequest

router = Router()


# A message's document holds its content, data and rendered output, within Firestore's
# 1 MiB per document (Courier takes 6 MB).
@router.post(
    "/send",
    summary="Send a message",
    tag="Send",
    description=(
        "Courier's send: one request, one or more recipients. "
        "Send `Idempotency-Key` to make retries safe."
    ),
    request=SendRequest,
    answers=(
        Answer(202, SendAccepted, "accepted; the message goes through the pipeline"),
        Answer(
            413,
            ErrorBody,
            f"the body is over {size_text(MAX_SEND_BYTES)}, the most a message can hold",
        ),
    ),
    body_limit=MAX_SEND_BYTES,
)
def send(ctx: Context) -> HttpResponse:
    request_id = ctx.services.sending.send(ctx.workspace, ctx.request.json())
    return HttpResponse(202, {"requestId": request_id})
