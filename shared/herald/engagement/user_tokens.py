"""User tokens: the JWTs ``POST /auth/issue-token`` issues for a user's browser or app.

A token names its workspace, the users it may act for (``user_id:<id>`` scopes) and what
it may do (``inbox:read:messages``, ...), as Courier's do; the workspace's API key never
reaches a browser. Tokens are HS256-signed with ``HERALD_USER_TOKEN_SECRET``: several
secrets, newest first, rotate it (the newest signs, every one verifies, named by the
token's ``kid``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from herald.domain.send import check_identifier

ISSUER = "herald"
AUDIENCE = "herald-user"
ALGORITHM = "HS256"

# Courier's scopes (its issue-token documentation), beside the user ids.
KNOWN_SCOPES = frozenset(
    {
        "read:messages",
        "read:user-tokens",
        "write:user-tokens",
        "read:brands",
        "write:brands",
        "inbox:read:messages",
        "inbox:write:events",
        "read:preferences",
        "write:preferences",
    }
)
USER_SCOPE = "user_id:"
INBOX_READ = "inbox:read:messages"
INBOX_WRITE = "inbox:write:events"
MAX_SCOPE_CHARS = 2000
MAX_SCOPES = 40
MAX_EXPIRES_IN_CHARS = 64
MIN_SECRET_BYTES = 32
# The longest a token may be: a request's header is bounded, and a larger one is not ours.
MAX_TOKEN_CHARS = 4096

# Courier's expires_in: "2 hours", "1d", "2.5 hrs", "5s" (as the "ms" library reads them).
_DURATION = re.compile(r"\s*([0-9]{1,9}(?:\.[0-9]{1,6})?)\s*([a-z]*)\s*")
_UNIT_S = {
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
    **dict.fromkeys(("w", "week", "weeks"), 7 * 86400.0),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365.25 * 86400.0),
}


class BadUserToken(ValueError):
    """Not a token of this deployment: malformed, wrongly signed, expired or refused."""


def duration_s(expires_in: str) -> float:
    """Seconds in Courier's ``expires_in``; a plain number is milliseconds, as in Courier."""
    if len(expires_in) > MAX_EXPIRES_IN_CHARS:
        raise ValueError(f"is longer than {MAX_EXPIRES_IN_CHARS} characters")
    found = _DURATION.fullmatch(expires_in.lower())
    if found is None or (found[2] and found[2] not in _UNIT_S):
        raise ValueError(f"{expires_in[:40]!r} is not a duration such as '2 hours' or '1d'")
    seconds = float(found[1]) * _UNIT_S[found[2] or "ms"]
    if seconds < 1:
        raise ValueError("is shorter than a second")
    return seconds


@dataclass(frozen=True)
class Scope:
    user_ids: tuple[str, ...]
    grants: frozenset[str]

    @classmethod
    def parse(cls, scope: str) -> Scope:
        """Courier's scope string; an unknown scope or a bad user id is a ValueError."""
        if len(scope) > MAX_SCOPE_CHARS:
            raise ValueError(f"is longer than {MAX_SCOPE_CHARS} characters")
        parts = scope.split()
        if len(parts) > MAX_SCOPES:
            raise ValueError(f"has more than {MAX_SCOPES} scopes")
        users: list[str] = []
        grants: set[str] = set()
        for part in parts:
            if part.startswith(USER_SCOPE):
                user = part.removeprefix(USER_SCOPE)
                check_identifier(user)
                users.append(user)
            elif part in KNOWN_SCOPES or part.rsplit(":", 1)[0] in ("read:brands", "write:brands"):
                grants.add(part)
            else:
                raise ValueError(f"{part[:60]!r} is not a scope Herald knows")
        if not users:
            raise ValueError("names no user: give user_id:<id>")
        return cls(tuple(dict.fromkeys(users)), frozenset(grants))

    def text(self) -> str:
        return " ".join([*(USER_SCOPE + u for u in self.user_ids), *sorted(self.grants)])


@dataclass(frozen=True)
class UserToken:
    workspace: str
    scope: Scope
    expires_s: int

    def user(self, asked: str | None) -> str:
        """The user a request acts for: the one it names (Courier's ``x-courier-user-id``),
        which the token must cover, or the token's only user."""
        if asked is None:
            if len(self.scope.user_ids) != 1:
                raise BadUserToken("the token covers several users: name one")
            return self.scope.user_ids[0]
        if asked not in self.scope.user_ids:
            raise BadUserToken("the token does not cover this user")
        return asked

    def require(self, grant: str) -> None:
        if grant not in self.scope.grants:
            raise BadUserToken(f"the token's scope lacks {grant}")


def _key_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class UserTokens:
    """Issues and verifies user tokens with the deployment's secrets."""

    def __init__(self, secrets: list[str], max_days: float = 365.0) -> None:
        if not secrets or any(len(s.encode()) < MIN_SECRET_BYTES for s in secrets):
            # HS256 is only as strong as its key (RFC 7518 3.2: at least the hash's size).
            raise ValueError(
                f"HERALD_USER_TOKEN_SECRET: each secret must be {MIN_SECRET_BYTES} bytes or more"
            )
        self._keys = {_key_id(s): s.encode() for s in secrets}
        self._signing = _key_id(secrets[0])
        self.max_days = max_days

    @classmethod
    def from_setting(cls, value: str, max_days: float = 365.0) -> UserTokens:
        """``HERALD_USER_TOKEN_SECRET``: one secret, or several separated by commas, newest
        first."""
        return cls([part.strip() for part in value.split(",")], max_days)

    def lifetime_s(self, expires_in: str) -> float:
        """Courier's ``expires_in`` in seconds, within the deployment's longest."""
        seconds = duration_s(expires_in)
        if seconds > self.max_days * 86400:
            raise ValueError(f"is longer than {self.max_days:g} days")
        return seconds

    def issue(self, workspace: str, scope: Scope, now_s: int, expires_in_s: float) -> str:
        import jwt

        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "ws": workspace,
            "scope": scope.text(),
            "iat": now_s,
            "exp": now_s + int(expires_in_s),
        }
        return jwt.encode(
            claims, self._keys[self._signing], algorithm=ALGORITHM, headers={"kid": self._signing}
        )

    def verify(self, token: str, now_s: int) -> UserToken:
        import jwt

        if len(token) > MAX_TOKEN_CHARS:
            raise BadUserToken("the token is too long")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise BadUserToken("the token is not signed with a key of this deployment")
            # Only HS256 is accepted: the algorithm the token names is never trusted.
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "ws", "scope"], "verify_iat": False},
                leeway=0,
            )
            if int(claims["exp"]) <= now_s:
                raise BadUserToken("the token has expired")
            return UserToken(str(claims["ws"]), Scope.parse(str(claims["scope"])), claims["exp"])
        except jwt.ExpiredSignatureError as exc:
            raise BadUserToken("the token has expired") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            if isinstance(exc, BadUserToken):
                raise
            raise BadUserToken("the token is not valid") from exc
