"""The open pixel and the click links of tracked email (no API key: the token is signed)."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer
from herald.api.routes.link_tokens import TOKEN, link_maker
from herald.clock import now_ms
from herald.domain.feedback import Feedback
from herald.domain.headers import header_problem
from herald.engagement.tokens import BadToken, ExpiredToken
from herald.engagement.tracking import PIXEL_GIF, is_web_link
from herald.errors import NotFound

router = Router()

TAG = "Engagement"
NO_STORE = {"cache-control": "no-store, private", "referrer-policy": "no-referrer"}


@router.get(
    "/track/open/{token}",
    summary="The open pixel of an email: records OPENED the first time",
    tag=TAG,
    answers=(Answer(200, None, "a 1x1 transparent GIF", raw="image/gif"),),
    public=True,
    patterns=TOKEN,
)
def opened(ctx: Context) -> HttpResponse:
    try:
        token = link_maker(ctx).signer.verify(ctx.params["token"], "open")
    except ExpiredToken:
        token = None  # too old to count, but the image is still answered
    except BadToken as exc:
        raise NotFound("no such link") from exc
    if token is not None:
        ctx.services.feedback.record(
            Feedback(
                token.workspace,
                token.message_id,
                "opened",
                now_ms(),
                source="tracking",
                source_id=f"opened-{token.message_id}",
                channel="email",
            )
        )
    return HttpResponse(200, None, {"content-type": "image/gif", **NO_STORE}, raw=PIXEL_GIF)


@router.get(
    "/track/click/{token}",
    summary="A tracked link of an email: records CLICKED, then redirects to the link",
    tag=TAG,
    answers=(
        Answer(302, None, "to the message's own link that the token names", raw="text/plain"),
    ),
    public=True,
    patterns=TOKEN,
)
def clicked(ctx: Context) -> HttpResponse:
    record = True
    try:
        token = link_maker(ctx).signer.verify(ctx.params["token"], "click")
    except ExpiredToken as expired:
        # Still a link Herald signed for this message: follow it, count nothing.
        token, record = expired.token, False
    except BadToken as exc:
        raise NotFound("no such link") from exc
    # The target is inside the signed token: only the message's own links redirect.
    link = token.link or ""
    if not is_web_link(link) or header_problem("location", link):
        raise NotFound("no such link")
    if record:
        ctx.services.feedback.record(
            Feedback(
                token.workspace,
                token.message_id,
                "clicked",
                now_ms(),
                source="tracking",
                source_id=f"clicked-{token.message_id}",
                channel="email",
                detail=link,
            )
        )
    return HttpResponse(302, None, {"location": link, **NO_STORE}, raw=b"")
