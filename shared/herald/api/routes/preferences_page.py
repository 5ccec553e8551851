"""The hosted preferences page: ``/preferences/{token}``, reached from an email's link.

A plain form (no script): the recipient sees the workspace's topics and switches
each one's channels; REQUIRED topics are shown, locked. The post carries the
token in its URL and a nonce the page signed, and redirects back (303) to the
page, which then says the choices were saved.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import Answer
from herald.api.routes.link_tokens import (
    EXPIRED_LINK,
    TOKEN,
    html,
    link_maker,
    this_page_url,
    verified_for_page,
)
from herald.engagement.choices import RecipientChoices
from herald.engagement.links import Recipient
from herald.engagement.pages import preferences_page

router = Router()

TAG = "Engagement"
MAX_FORM_BYTES = 64 * 1024


def _page(ctx: Context, status: int, saved: bool = False, error: str = "") -> HttpResponse:
    token = verified_for_page(ctx, "preferences")
    if isinstance(token, HttpResponse):
        return token
    rows = RecipientChoices(ctx.services.documents).rows(
        token.workspace, Recipient(token.user_id, token.address)
    )
    nonce = link_maker(ctx).signer.form_nonce(ctx.params["token"])
    return html(
        status, preferences_page(rows, this_page_url(ctx, "preferences"), nonce, saved, error)
    )


@router.get(
    "/preferences/{token}",
    summary="The recipient's preferences page: the workspace's topics, per channel",
    tag=TAG,
    answers=(
        Answer(200, None, "the page, a form that works without JavaScript", raw="text/html"),
        EXPIRED_LINK,
    ),
    public=True,
    patterns=TOKEN,
)
def show(ctx: Context) -> HttpResponse:
    return _page(ctx, 200, saved=ctx.request.query.get("saved") == "1")


@router.post(
    "/preferences/{token}",
    summary="Saves the preferences form, then shows the page again",
    tag=TAG,
    request_required=False,
    answers=(
        Answer(303, None, "back to the page, saved", raw="text/html"),
        Answer(403, None, "the form is out of date", raw="text/html"),
        EXPIRED_LINK,
        Answer(413, None, "the form is too large", raw="text/html"),
    ),
    public=True,
    patterns=TOKEN,
)
def save(ctx: Context) -> HttpResponse:
    token = verified_for_page(ctx, "preferences")
    if isinstance(token, HttpResponse):
        return token
    if len(ctx.request.body) > MAX_FORM_BYTES:
        return _page(ctx, 413, error="The form was too large to save.")
    form = parse_qs(ctx.request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
    nonce = (form.get("nonce") or [""])[0]
    if not link_maker(ctx).signer.check_form_nonce(nonce, ctx.params["token"]):
        return _page(ctx, 403, error="This form is out of date: check your choices and save again.")
    # Only topics the page showed are changed; a topic with every switch off sends
    # no checkbox at all, so "shown" names them.
    switched_on: dict[str, set[str]] = {topic_id: set() for topic_id in form.get("shown", [])}
    for name, values in form.items():
        topic_id = name.removeprefix("t:")
        if name.startswith("t:") and topic_id in switched_on:
            switched_on[topic_id].update(values)
    RecipientChoices(ctx.services.documents).save(
        token.workspace, Recipient(token.user_id, token.address), switched_on
    )
    return HttpResponse(
        303,
        None,
        {"location": this_page_url(ctx, "preferences") + "?saved=1", "cache-control": "no-store"},
        raw=b"",
    )
