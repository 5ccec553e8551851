"""Courier's user tokens: ``POST /auth/issue-token`` (with the workspace's API key)."""

from __future__ import annotations

from herald.api.http import Context, HttpResponse, Router
from herald.api.models_inbox import IssuedToken, IssueTokenBody
from herald.api.operation import Answer
from herald.clock import now_ms
from herald.engagement.user_tokens import Scope
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.resources.parsing import parse_body

router = Router()
TAG = "User tokens"


@router.post(
    "/auth/issue-token",
    summary="Issue a user token (a signed JWT) for a browser or an app: the inbox takes it",
    tag=TAG,
    request=IssueTokenBody,
    answers=(Answer(200, IssuedToken, "the token"),),
)
def issue_token(ctx: Context) -> HttpResponse:
    body = parse_body(IssueTokenBody, ctx.request.json())
    tokens = ctx.services.user_tokens
    if tokens is None:
        raise NotFound("user tokens are off: this deployment has no HERALD_USER_TOKEN_SECRET")
    errors: list[FieldError] = []
    try:
        scope = Scope.parse(body.scope)
    except ValueError as exc:
        errors.append(FieldError("scope", str(exc)))
    try:
        seconds = tokens.lifetime_s(body.expires_in)
    except ValueError as exc:
        errors.append(FieldError("expires_in", str(exc)))
    if errors:
        raise ValidationFailed(errors)
    token = tokens.issue(ctx.workspace, scope, now_ms() // 1000, seconds)
    return HttpResponse(200, {"token": token})
