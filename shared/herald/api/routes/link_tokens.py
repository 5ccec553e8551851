"""What the public link routes share: the token segment, its check, and HTML answers."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse
from herald.api.operation import Answer
from herald.engagement.links import LinkMaker
from herald.engagement.pages import SECURITY_HEADERS, notice_page
from herald.engagement.tokens import TOKEN_PATTERN, BadToken, ExpiredToken, LinkToken, Purpose
from herald.errors import NotFound

TOKEN = {"token": TOKEN_PATTERN}
# Every page link answers this once its token has expired (see ``verified_for_page``).
EXPIRED_LINK = Answer(410, None, "the link has expired: a page saying so", raw="text/html")


def link_maker(ctx: Context) -> LinkMaker:
    links = ctx.services.links
    if links is None:
        raise NotFound("email links are not configured here")
    return links


def this_page_url(ctx: Context, purpose: Purpose) -> str:
    """The URL the request came to, for a form that posts back to it."""
    return link_maker(ctx).signed_url(purpose, ctx.params["token"])


def html(status: int, text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, None, {**SECURITY_HEADERS, **(headers or {})}, raw=text.encode())


def verified_for_page(ctx: Context, purpose: Purpose) -> LinkToken | HttpResponse:
    """The token of a page link, or the page that says why it cannot be used."""
    try:
        return link_maker(ctx).signer.verify(ctx.params["token"], purpose)
    except ExpiredToken:
        return html(
            410,
            notice_page(
                "This link has expired",
                "Use the link in a more recent email from us to change what you receive.",
            ),
        )
    except BadToken:
        return html(
            404,
            notice_page("This link is not valid", "Check that the whole link was copied."),
        )
