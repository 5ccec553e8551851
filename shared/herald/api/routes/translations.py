"""Courier's translations API: a gettext .po body per domain and locale."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer
from herald.resources.translations import MAX_PO_BODY, TranslationService

router = Router()
TAG = "Translations"
PO = "text/plain"


def _translations(ctx: Context) -> TranslationService:
    return TranslationService(ctx.services.documents)


@router.get(
    "/translations/{domain}/{locale}",
    summary="Get a domain's translations in a locale",
    tag=TAG,
    answers=(Answer(200, None, "the .po file as it was put", raw=PO),),
)
def get_translation(ctx: Context) -> HttpResponse:
    text = _translations(ctx).get(ctx.workspace, ctx.params["domain"], ctx.params["locale"])
    return HttpResponse(
        200, None, {"content-type": "text/plain; charset=utf-8"}, raw=text.encode("utf-8")
    )


@router.put(
    "/translations/{domain}/{locale}",
    summary="Put a domain's translations in a locale",
    tag=TAG,
    description=(
        "The body is a gettext .po file, as text or as a JSON string (Courier's SDK);"
        " one that does not parse is a 400 naming `body`."
    ),
    answers=(NO_CONTENT,),
    body_limit=MAX_PO_BODY,
)
def put_translation(ctx: Context) -> HttpResponse:
    _translations(ctx).put(
        ctx.workspace, ctx.params["domain"], ctx.params["locale"], ctx.request.body
    )
    return HttpResponse(204, None)
