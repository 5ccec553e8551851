"""The test outbox: what a test key's sends handed the recording sink."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.api.models import RecordedMessage, RecordedPage
from herald.api.operation import Answer, cursor
from herald.resources.test_outbox import RecordedOutbox

router = Router()
TAG = "Test mode"
LIVE_KEY_NOTE = " A live key gets 404: only a test key (`hk_test_...`) has a test outbox."


def _outbox(ctx: Context) -> RecordedOutbox:
    return RecordedOutbox(ctx.services.documents)


@router.get(
    "/test-outbox",
    summary="List the test outbox",
    tag=TAG,
    description="Every test message's recorded provider calls, a page of messages by id."
    + LIVE_KEY_NOTE,
    answers=(Answer(200, RecordedPage, "a page of recorded messages"),),
    query=(cursor("recorded messages"),),
)
def find_recorded(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _outbox(ctx).find(ctx.workspace, ctx.request.query))


@router.get(
    "/test-outbox/{message_id}",
    summary="Get a test message's recorded deliveries",
    tag=TAG,
    description="What each provider would have been handed for the message." + LIVE_KEY_NOTE,
    answers=(Answer(200, RecordedMessage, "the message's recorded provider calls"),),
)
def get_recorded(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _outbox(ctx).get(ctx.workspace, ctx.params["message_id"]))
