"""The console's sessions and form tokens: signed, expiring, and holding no key.

Signing in posts a workspace's API key once; the api checks it and answers with
a session cookie: ``v1.<payload>.<signature>``, the payload (compact JSON: the
workspace, a random session id, its expiry) readable but signed with
HMAC-SHA256. The signing key is derived from the deployment's link secret
(``HERALD_LINK_SECRET``) under a label of its own, so a session is never a valid
link token nor the reverse, and rotating the link secret (newest first, the
older still listed) rotates sessions the same way.

Every form carries a token bound to the session (``csrf_token``); the sign-in
form, shown before there is a session, carries one bound to a random value kept
in a short-lived cookie of its own (``sign_in_token``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from herald.engagement.tokens import key_id

SESSION_COOKIE = "herald_console"
SIGN_IN_COOKIE = "herald_console_sign_in"
COOKIE_PATH = "/console"
VERSION = "v1"
# A cookie value is at most this long: a longer one is not Herald's and is not parsed.
MAX_COOKIE_CHARS = 1024
SIGNATURE_BYTES = 32
SIGN_IN_FORM_TTL_S = 30 * 60
_LABEL = b"herald console session v1"


class BadSession(ValueError):
    """Not a session this deployment signed, or past its expiry."""


@dataclass(frozen=True)
class Session:
    workspace: str
    session_id: str
    expires_s: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # one spelling only: a tampered padding is a tampered value
        raise ValueError("not canonical base64")
    return data


class ConsoleSessions:
    """Issues and opens sessions; ``secure`` is False only on the local stack (plain HTTP)."""

    def __init__(self, link_secrets: Sequence[str], ttl_s: int, secure: bool = True) -> None:
        given = [s for s in link_secrets if s]
        if not given:
            raise ValueError("a link secret is required")
        # kid -> this purpose's own key, derived from the secret the kid names.
        self._keys = {
            key_id(s): hmac.new(s.encode(), _LABEL, hashlib.sha256).digest() for s in given
        }
        self._signing = key_id(given[0])
        self.ttl_s = ttl_s
        self.secure = secure

    @classmethod
    def from_setting(cls, value: str, ttl_s: int, secure: bool = True) -> ConsoleSessions:
        """``HERALD_LINK_SECRET``: one secret, or several separated by commas, newest first."""
        return cls([part.strip() for part in value.split(",")], ttl_s, secure)

    def _mac(self, kid: str, message: str) -> bytes:
        return hmac.new(self._keys[kid], message.encode(), hashlib.sha256).digest()

    def issue(self, workspace: str, now_s: float | None = None) -> str:
        """A new session of ``workspace``: the cookie's value."""
        now = int(time.time() if now_s is None else now_s)
        fields = {"w": workspace, "s": secrets.token_urlsafe(16), "e": now + self.ttl_s}
        payload = _b64(json.dumps(fields, separators=(",", ":"), sort_keys=True).encode())
        kid = self._signing
        signed = f"{VERSION}.{kid}.{payload}"
        return f"{signed}.{_b64(self._mac(kid, signed))}"

    def open(self, value: str, now_s: float | None = None) -> Session:
        """The session a cookie holds; raises ``BadSession``."""
        if len(value) > MAX_COOKIE_CHARS:
            raise BadSession("not a console session")
        parts = value.split(".")
        if len(parts) != 4 or parts[0] != VERSION or parts[1] not in self._keys:
            raise BadSession("not a console session")
        version, kid, payload, signature = parts
        try:
            given = _unb64(signature)
            fields = json.loads(_unb64(payload))
        except (binascii.Error, ValueError) as exc:
            raise BadSession("not a console session") from exc
        if not hmac.compare_digest(self._mac(kid, f"{version}.{kid}.{payload}"), given):
            raise BadSession("the session's signature does not match")
        if not (
            isinstance(fields, dict)
            and isinstance(fields.get("w"), str)
            and isinstance(fields.get("s"), str)
            and isinstance(fields.get("e"), int)
        ):
            raise BadSession("not a console session")
        if fields["e"] <= (time.time() if now_s is None else now_s):
            raise BadSession("the session has expired")
        return Session(fields["w"], fields["s"], fields["e"])

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session carries."""
        return _b64(self._mac(self._signing, f"csrf.{session.session_id}"))

    def check_csrf(self, session: Session, token: str) -> bool:
        return any(
            hmac.compare_digest(_b64(self._mac(kid, f"csrf.{session.session_id}")), token)
            for kid in self._keys
        )

    def sign_in_token(self, browser_nonce: str) -> str:
        """The sign-in form's token, bound to the nonce in the browser's sign-in cookie."""
        return _b64(self._mac(self._signing, f"sign-in.{browser_nonce}"))

    def check_sign_in(self, browser_nonce: str, token: str) -> bool:
        if not browser_nonce or len(browser_nonce) > MAX_COOKIE_CHARS:
            return False
        return any(
            hmac.compare_digest(_b64(self._mac(kid, f"sign-in.{browser_nonce}")), token)
            for kid in self._keys
        )

    def cookie(self, name: str, value: str, max_age_s: int) -> str:
        """A ``Set-Cookie`` value: HttpOnly, SameSite=Strict, the console's path only."""
        attributes = [
            f"{name}={value}",
            f"Path={COOKIE_PATH}",
            f"Max-Age={max_age_s}",
            "HttpOnly",
            "SameSite=Strict",
        ]
        if self.secure:
            attributes.append("Secure")
        return "; ".join(attributes)

    def session_cookie(self, value: str) -> str:
        return self.cookie(SESSION_COOKIE, value, self.ttl_s)

    def cleared_session_cookie(self) -> str:
        return self.cookie(SESSION_COOKIE, "", 0)


def new_browser_nonce() -> str:
    return secrets.token_urlsafe(16)


def read_cookie(header: str | None, name: str) -> str | None:
    """``name``'s value in a ``Cookie`` header (the first, as browsers send the most
    specific path first); None when absent or the header is unreasonably long."""
    if not header or len(header) > 8 * MAX_COOKIE_CHARS:
        return None
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value
    return None
