"""The inbox's GraphQL endpoint, for Courier's browser client (its ``apiUrls.inbox.graphql``).

No API key: the caller sends a user token (``POST /auth/issue-token``) as a Bearer, and
the workspace and user come from it. Reads need ``inbox:read:messages``, changes
``inbox:write:events``; ``x-courier-user-id`` names the user, whom the token must cover.
"""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router, error_body
from herald.api.inbox_graphql import InboxCaller, InboxGraphQL, RefusedQuery
from herald.api.models_inbox import GraphQLAnswer, GraphQLBody
from herald.api.operation import Answer
from herald.clock import now_ms
from herald.engagement.user_tokens import INBOX_READ, INBOX_WRITE, BadUserToken
from herald.errors import NotFound, Unauthenticated
from herald.resources.parsing import parse_body

router = Router()
TAG = "Inbox"
MAX_GRAPHQL_BODY = 64 * 1024


def _caller(ctx: Context, at_ms: int) -> InboxCaller:
    tokens = ctx.services.user_tokens
    if tokens is None:
        raise NotFound("the inbox is off: this deployment has no HERALD_USER_TOKEN_SECRET")
    scheme, _, token = (ctx.request.header("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send a user token as 'Authorization: Bearer <token>'")
    try:
        verified = tokens.verify(token.strip(), at_ms // 1000)
    except BadUserToken as exc:
        raise Unauthenticated(str(exc)) from exc
    try:
        user = verified.user(ctx.request.header("x-courier-user-id"))
    except BadUserToken as exc:
        raise PermissionError(str(exc)) from exc
    grants = verified.scope.grants
    return InboxCaller(verified.workspace, user, INBOX_READ in grants, INBOX_WRITE in grants)


def _forbidden(why: str) -> HttpResponse:
    return HttpResponse(403, error_body("authorization_error", why))


@router.post(
    "/inbox/q",
    summary="The inbox's GraphQL endpoint: the operations of Courier's inbox client only",
    tag=TAG,
    request=GraphQLBody,
    answers=(
        Answer(200, GraphQLAnswer, "the operation's data (and errors, as GraphQL has them)"),
        Answer(403, None, "the user token does not cover this user or this operation"),
    ),
    public=True,
    body_limit=MAX_GRAPHQL_BODY,
    cors=True,
)
def inbox_graphql(ctx: Context) -> HttpResponse:
    at = now_ms()
    try:
        caller = _caller(ctx, at)
    except PermissionError as exc:
        return _forbidden(str(exc))
    body = parse_body(GraphQLBody, ctx.request.json())
    try:
        answer = InboxGraphQL(ctx.services.inbox, at).run(caller, body.query, body.variables)
    except RefusedQuery as exc:
        return HttpResponse(
            400,
            {**error_body("invalid_request_error", str(exc)), "errors": [{"message": str(exc)}]},
        )
    except PermissionError as exc:
        return _forbidden(f"the token's scope lacks {exc}")
    return HttpResponse(200, answer)
