"""The GraphQL endpoints of Courier's browser client: the inbox (its
``apiUrls.inbox.graphql``), and the brand query and preferences client (its
``apiUrls.courier.graphql``).

No API key: the caller sends a user token (``POST /auth/issue-token``) as a Bearer, and
the workspace and user come from it. The inbox's reads need ``inbox:read:messages``, its
changes ``inbox:write:events``; preferences ``read:preferences`` and
``write:preferences``; ``x-courier-user-id`` names the user, whom the token must cover.
"""

from __future__ import annotations

from herald.api.client_graphql import run_client_query
from herald.api.http import Context, HttpResponse, Router, error_body
from herald.api.inbox_graphql import InboxCaller, InboxGraphQL, RefusedQuery
from herald.api.models_inbox import GraphQLAnswer, GraphQLBody
from herald.api.operation import Answer
from herald.clock import now_ms
from herald.engagement.user_tokens import INBOX_READ, INBOX_WRITE, BadUserToken, UserToken
from herald.errors import NotFound, Unauthenticated
from herald.resources.parsing import parse_body

router = Router()
TAG = "Inbox"
MAX_GRAPHQL_BODY = 64 * 1024


def _verified(ctx: Context, at_ms: int) -> tuple[UserToken, str]:
    """The request's user token and the user it acts for; Unauthenticated (401) for a bad
    token, PermissionError (403) for a user it does not cover."""
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
        return verified, verified.user(ctx.request.header("x-courier-user-id"))
    except BadUserToken as exc:
        raise PermissionError(str(exc)) from exc


def _caller(ctx: Context, at_ms: int) -> InboxCaller:
    verified, user = _verified(ctx, at_ms)
    grants = verified.scope.grants
    return InboxCaller(verified.workspace, user, INBOX_READ in grants, INBOX_WRITE in grants)


def _forbidden(why: str) -> HttpResponse:
    return HttpResponse(403, error_body("authorization_error", why))


def _refused(exc: RefusedQuery) -> HttpResponse:
    # Courier's error shape, with GraphQL's errors beside it for GraphQL clients.
    body = {**error_body("invalid_request_error", str(exc)), "errors": [{"message": str(exc)}]}
    return HttpResponse(400, body)


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
        return _refused(exc)
    except PermissionError as exc:
        return _forbidden(f"the token's scope lacks {exc}")
    return HttpResponse(200, answer)


@router.post(
    "/client/q",
    summary="The brand query and preferences client of Courier's browser client (its apiUrls.courier.graphql)",
    tag=TAG,
    request=GraphQLBody,
    answers=(
        Answer(200, GraphQLAnswer, "the operation's data (and errors, as GraphQL has them)"),
        Answer(403, None, "the user token does not cover this user, brand or operation"),
    ),
    public=True,
    body_limit=MAX_GRAPHQL_BODY,
    cors=True,
)
def client_graphql(ctx: Context) -> HttpResponse:
    try:
        verified, user = _verified(ctx, now_ms())
    except PermissionError as exc:
        return _forbidden(str(exc))
    body = parse_body(GraphQLBody, ctx.request.json())
    documents, grants = ctx.services.documents, verified.scope.grants
    try:
        answer = run_client_query(documents, verified.workspace, user, grants, body.query)
    except RefusedQuery as exc:
        return _refused(exc)
    except PermissionError as exc:
        return _forbidden(f"the token's scope lacks {exc}")
    return HttpResponse(200, answer)
