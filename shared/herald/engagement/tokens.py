"""Signed, expiring, URL-safe tokens for the links Herald puts in email.

A token is ``kid.payload.signature``: the payload (compact JSON, base64url)
says what the link is for and whom it concerns; the signature is an HMAC-SHA256
of ``kid.payload`` with the key named by ``kid``, truncated to 128 bits. Keys
rotate: the first key signs, every key verifies, so links already sent keep
working while an old key is still listed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

Purpose = Literal["open", "click", "unsubscribe", "preferences"]
PURPOSES: tuple[str, ...] = get_args(Purpose)

SIGNATURE_BYTES = 16
# What a token looks like in a path: the router matches this instead of an id.
TOKEN_PATTERN = r"[0-9a-f]{8}\.[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{22}"
_TOKEN = re.compile(f"^{TOKEN_PATTERN}$")
# A preferences form must be posted within this long after the page was shown.
FORM_NONCE_TTL_S = 2 * 3600


class BadToken(ValueError):
    """Not a token Herald signed for this purpose (malformed, tampered, unknown key)."""


class ExpiredToken(BadToken):
    """Signed by Herald, but past its expiry; ``token`` is what it said."""

    def __init__(self, token: LinkToken) -> None:
        super().__init__("the link has expired")
        self.token = token


@dataclass(frozen=True)
class LinkToken:
    purpose: Purpose
    workspace: str
    message_id: str
    expires_s: int  # epoch seconds
    user_id: str | None = None  # the recipient, when the message went to a user id
    address: str | None = None  # otherwise the email address it went to
    topic_id: str | None = None
    link: str | None = None  # a click link's target


_FIELDS = {
    "purpose": "p",
    "workspace": "w",
    "message_id": "m",
    "expires_s": "e",
    "user_id": "u",
    "address": "a",
    "topic_id": "t",
    "link": "l",
}
_NAMES = {short: name for name, short in _FIELDS.items()}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(secret: str) -> str:
    """A key's public name: the start of its hash, so configuration needs no names."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


class LinkSigner:
    def __init__(self, secrets: Sequence[str]) -> None:
        keys = [s for s in secrets if s]
        if not keys:
            raise ValueError("a link secret is required")
        self._keys = {key_id(s): s.encode() for s in keys}
        self._signing = key_id(keys[0])

    @classmethod
    def from_setting(cls, value: str) -> LinkSigner:
        """``HERALD_LINK_SECRET``: one secret, or several separated by commas, newest first."""
        return cls([part.strip() for part in value.split(",")])

    def _mac(self, kid: str, message: str) -> bytes:
        return hmac.new(self._keys[kid], message.encode(), hashlib.sha256).digest()[
            :SIGNATURE_BYTES
        ]

    def sign(self, token: LinkToken) -> str:
        fields = {_FIELDS[k]: v for k, v in asdict(token).items() if v is not None}
        payload = _b64(json.dumps(fields, separators=(",", ":"), sort_keys=True).encode())
        signed = f"{self._signing}.{payload}"
        return f"{signed}.{_b64(self._mac(self._signing, signed))}"

    def verify(self, text: str, purpose: Purpose, now_s: float | None = None) -> LinkToken:
        """The token's content; raises ``BadToken``, or ``ExpiredToken`` past its expiry."""
        if not _TOKEN.match(text):
            raise BadToken("not a link token")
        kid, payload, signature = text.split(".")
        if kid not in self._keys:
            raise BadToken("signed with a key this deployment does not hold")
        expected = self._mac(kid, f"{kid}.{payload}")
        try:
            given = _unb64(signature)
            fields: Any = json.loads(_unb64(payload))
        except (binascii.Error, ValueError) as exc:
            raise BadToken("not a link token") from exc
        if not hmac.compare_digest(expected, given):
            raise BadToken("the signature does not match")
        token = self._parse(fields)
        if token.purpose != purpose:
            raise BadToken(f"a {token.purpose} link, not a {purpose} link")
        if token.expires_s < (time.time() if now_s is None else now_s):
            raise ExpiredToken(token)
        return token

    @staticmethod
    def _parse(fields: Any) -> LinkToken:
        # Signed by us, so well formed unless a key leaked; checked all the same.
        if not isinstance(fields, dict) or not set(fields) <= set(_NAMES):
            raise BadToken("not a link token")
        values = {_NAMES[k]: v for k, v in fields.items()}
        if values.get("purpose") not in PURPOSES or not isinstance(values.get("expires_s"), int):
            raise BadToken("not a link token")
        if not all(isinstance(v, str) for k, v in values.items() if k != "expires_s"):
            raise BadToken("not a link token")
        try:
            return LinkToken(**values)
        except TypeError as exc:
            raise BadToken("not a link token") from exc

    def form_nonce(self, token_text: str, now_s: float | None = None) -> str:
        """A nonce for the form a page shows: proves the post follows a recent page view."""
        issued = int(time.time() if now_s is None else now_s)
        mac = self._mac(self._signing, f"form.{issued}.{token_text}")
        return f"{self._signing}.{issued}.{_b64(mac)}"

    def check_form_nonce(self, nonce: str, token_text: str, now_s: float | None = None) -> bool:
        kid, _, rest = nonce.partition(".")
        issued, _, signature = rest.partition(".")
        if kid not in self._keys or not issued.isdigit():
            return False
        now = time.time() if now_s is None else now_s
        if not 0 <= now - int(issued) <= FORM_NONCE_TTL_S:
            return False
        try:
            given = _unb64(signature)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(self._mac(kid, f"form.{issued}.{token_text}"), given)
