"""One-click unsubscribe (RFC 8058): ``POST /unsubscribe/{token}`` opts out at once.

Mail clients post ``List-Unsubscribe=One-Click`` with no cookies and follow no
redirects, so the POST answers 200 itself. Opening the link (GET) only asks:
link scanners fetch every link in a mail and must not unsubscribe anyone.
"""

from __future__ import annotations

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
from herald.clock import now_ms
from herald.domain.feedback import Feedback
from herald.engagement.choices import RecipientChoices
from herald.engagement.links import Recipient
from herald.engagement.pages import confirm_unsubscribe_page, notice_page, unsubscribed_page
from herald.observability import logs

router = Router()

TAG = "Engagement"


def _topic_name(choices: RecipientChoices, workspace: str, topic_id: str) -> str:
    topic = choices.topic(workspace, topic_id)
    return (topic.topic_name if topic else "") or topic_id


@router.get(
    "/unsubscribe/{token}",
    summary="An email's unsubscribe link: a page that asks to confirm (link scanners open links)",
    tag=TAG,
    answers=(Answer(200, None, "the confirmation page", raw="text/html"), EXPIRED_LINK),
    public=True,
    patterns=TOKEN,
)
def confirm(ctx: Context) -> HttpResponse:
    token = verified_for_page(ctx, "unsubscribe")
    if isinstance(token, HttpResponse):
        return token
    links = link_maker(ctx)
    choices = RecipientChoices(ctx.services.documents)
    name = _topic_name(choices, token.workspace, token.topic_id or "")
    action = this_page_url(ctx, "unsubscribe")
    return html(200, confirm_unsubscribe_page(name, action, links.preferences_for(token)))


@router.post(
    "/unsubscribe/{token}",
    summary="RFC 8058 one-click unsubscribe (body List-Unsubscribe=One-Click): opts out at once",
    tag=TAG,
    request_required=False,
    answers=(Answer(200, None, "a page saying it is done", raw="text/html"), EXPIRED_LINK),
    public=True,
    patterns=TOKEN,
)
def one_click(ctx: Context) -> HttpResponse:
    token = verified_for_page(ctx, "unsubscribe")
    if isinstance(token, HttpResponse):
        return token
    if not token.topic_id:
        return html(404, notice_page("This link is not valid", "It names no subscription."))
    choices = RecipientChoices(ctx.services.documents)
    recipient = Recipient(token.user_id, token.address)
    changed = choices.opt_out(token.workspace, recipient, token.topic_id)
    logs.info(
        "unsubscribed" if changed else "unsubscribe refused: the topic is required",
        workspace=token.workspace,
        message_id=token.message_id,
        topic=token.topic_id,
    )
    if changed:
        ctx.services.feedback.record(
            Feedback(
                token.workspace,
                token.message_id,
                "unsubscribed",
                now_ms(),
                source="unsubscribe",
                source_id=f"unsubscribed-{token.message_id}-{token.topic_id}",
                channel="email",
                detail=token.topic_id,
            )
        )
    name = _topic_name(choices, token.workspace, token.topic_id)
    return html(200, unsubscribed_page(name, link_maker(ctx).preferences_for(token), changed))
