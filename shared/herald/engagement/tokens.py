"""Sealed, expiring, URL-safe tokens for the links Herald puts in email.

A token is ``kid.sealed``: the payload (compact JSON: what the link is for, whom
it concerns, a click's target) encrypted and authenticated with AES-256-GCM, so
it says nothing to whoever holds it or logs it, and cannot be changed. Each
token has a key of its own, derived with HKDF-SHA256 from the secret ``kid``
names and a random salt that the token carries (the nonce can then be fixed).
Keys rotate: the first secret seals, every secret opens, so links already sent
keep working while an old secret is still listed.

Tokens of the first form, ``kid.payload.signature`` (the payload readable,
HMAC-SHA256), are still accepted until the links that carry them expire, so mail
sent before keeps working; none is made any more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # loaded with the first token, not at a function's cold start
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Purpose = Literal["open", "click", "unsubscribe", "preferences"]
PURPOSES: tuple[str, ...] = get_args(Purpose)

SIGNATURE_BYTES = 16
SALT_BYTES = 16
_NONCE = bytes(12)  # each key seals one token: a fixed nonce never repeats under a key
_KEY_INFO = b"herald link token"
# What a token looks like in a path: the router matches this instead of an id. The
# signature part is the first form's.
TOKEN_PATTERN = r"[0-9a-f]{8}\.[A-Za-z0-9_-]{1,4096}(?:\.[A-Za-z0-9_-]{22})?"
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
    """Only the one spelling ``_b64`` gives: a token has a single text."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64")
    return data


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

    def _cipher(self, kid: str, salt: bytes) -> AESGCM:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(hashes.SHA256(), 32, salt, _KEY_INFO).derive(self._keys[kid])
        return AESGCM(key)

    def sign(self, token: LinkToken) -> str:
        """The token, sealed with the newest secret."""
        fields = {_FIELDS[k]: v for k, v in asdict(token).items() if v is not None}
        payload = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
        salt = secrets.token_bytes(SALT_BYTES)
        kid = self._signing
        sealed = self._cipher(kid, salt).encrypt(_NONCE, payload, kid.encode())
        return f"{kid}.{_b64(salt + sealed)}"

    def verify(self, text: str, purpose: Purpose, now_s: float | None = None) -> LinkToken:
        """The token's content; raises ``BadToken``, or ``ExpiredToken`` past its expiry."""
        if not _TOKEN.match(text):
            raise BadToken("not a link token")
        kid, *parts = text.split(".")
        if kid not in self._keys:
            raise BadToken("signed with a key this deployment does not hold")
        fields = self._opened(kid, parts[0]) if len(parts) == 1 else self._checked(kid, *parts)
        token = self._parse(fields)
        if token.purpose != purpose:
            raise BadToken(f"a {token.purpose} link, not a {purpose} link")
        if token.expires_s < (time.time() if now_s is None else now_s):
            raise ExpiredToken(token)
        return token

    def _opened(self, kid: str, sealed: str) -> Any:
        from cryptography.exceptions import InvalidTag

        try:
            raw = _unb64(sealed)
            salt, body = raw[:SALT_BYTES], raw[SALT_BYTES:]
            return json.loads(self._cipher(kid, salt).decrypt(_NONCE, body, kid.encode()))
        except InvalidTag as exc:
            raise BadToken("the token was not sealed by this deployment") from exc
        except (binascii.Error, ValueError) as exc:
            raise BadToken("not a link token") from exc

    def _checked(self, kid: str, payload: str, signature: str) -> Any:
        """The payload of a token of the first form, once its signature holds."""
        try:
            given = _unb64(signature)
            fields = json.loads(_unb64(payload))
        except (binascii.Error, ValueError) as exc:
            raise BadToken("not a link token") from exc
        if not hmac.compare_digest(self._mac(kid, f"{kid}.{payload}"), given):
            raise BadToken("the signature does not match")
        return fields

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
