"""Bodies of the user token and inbox routes (``/auth/issue-token``, ``/inbox/q``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from herald.engagement.user_tokens import MAX_EXPIRES_IN_CHARS, MAX_SCOPE_CHARS


class IssueTokenBody(BaseModel):
    """Courier's issue-token request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scope: str = Field(
        max_length=MAX_SCOPE_CHARS,
        description="space-separated: `user_id:<id>` (one or more) and what the token may "
        "do, e.g. `user_id:ada inbox:read:messages inbox:write:events`",
    )
    expires_in: str = Field(
        max_length=MAX_EXPIRES_IN_CHARS,
        description="how long the token works: `2 hours`, `1d`, `10h`, `5s`",
    )


class IssuedToken(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str


class GraphQLBody(BaseModel):
    """A GraphQL request, as Courier's inbox client posts it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: str
    variables: dict[str, Any] | None = None
    operationName: str | None = None


class GraphQLAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
