"""Sealed link tokens: what they carry, that nobody else can read it, and every way a
token is refused."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json

import pytest

from herald.engagement.tokens import BadToken, ExpiredToken, LinkSigner, LinkToken, key_id

NOW = 1_800_000_000
TOKEN = LinkToken(
    purpose="unsubscribe",
    workspace="ws1",
    message_id="m-1",
    expires_s=NOW + 60,
    user_id="ada",
    topic_id="digest",
)


def test_a_sealed_token_opens_to_what_was_sealed_and_is_url_safe() -> None:
    signer = LinkSigner(["s3cret"])
    text = signer.sign(TOKEN)
    assert all(c.isalnum() or c in "-_." for c in text)
    assert signer.verify(text, "unsubscribe", now_s=NOW) == TOKEN


def test_a_token_past_its_expiry_is_refused_but_says_what_it_was() -> None:
    signer = LinkSigner(["s3cret"])
    with pytest.raises(ExpiredToken) as expired:
        signer.verify(signer.sign(TOKEN), "unsubscribe", now_s=NOW + 61)
    assert expired.value.token == TOKEN


def test_a_token_for_another_purpose_is_refused() -> None:
    signer = LinkSigner(["s3cret"])
    with pytest.raises(BadToken, match="not a preferences link"):
        signer.verify(signer.sign(TOKEN), "preferences", now_s=NOW)


def first_form(secret: str, token: LinkToken, **changes: object) -> str:
    """A token as Herald made them first: its payload readable, then an HMAC-SHA256."""
    fields = {
        short: value
        for short, value in zip("pwmeuatl", dataclasses.astuple(token), strict=True)
        if value is not None
    }
    payload = b64(json.dumps({**fields, **changes}, separators=(",", ":")).encode())
    signed = f"{key_id(secret)}.{payload}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()[:16]
    return f"{signed}.{b64(mac)}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _flip(text: str, at: int) -> str:
    return text[:at] + ("B" if text[at] == "A" else "A") + text[at + 1 :]


def test_a_token_says_nothing_of_whom_or_where_to_whoever_reads_it() -> None:
    signer = LinkSigner(["s3cret"])
    token = LinkToken(
        "click",
        "ws1",
        "m-1",
        NOW + 60,
        user_id="lovelace-1815",
        address="ada.lovelace@example.com",
        link="https://shop.example/orders?for=lovelace",
    )
    text = signer.sign(token)
    sealed = text.split(".")[1]
    raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    # Neither the bytes nor the text hold any of it (six characters or more: a chance
    # match in random bytes is then a few in a billion).
    for personal in (b"lovelace", b"example.com", b"shop.example", b"orders"):
        assert personal not in raw and personal.decode() not in text
    assert signer.verify(text, "click", now_s=NOW) == token
    assert signer.sign(token) != text  # a new salt each time: tokens cannot be compared


def test_a_changed_token_is_refused() -> None:
    signer = LinkSigner(["s3cret"])
    text = signer.sign(TOKEN)
    for forged in (
        _flip(text, len(text) - 1),  # the tag
        _flip(text, 20),  # the salt
        _flip(text, len(text) - 30),  # the sealed payload
        text[:-4],
        text.replace(".", "", 1),
        "",
    ):
        with pytest.raises(BadToken):
            signer.verify(forged, "unsubscribe", now_s=NOW)


def test_links_already_sent_with_readable_tokens_keep_working_until_they_expire() -> None:
    signer = LinkSigner(["s3cret"])
    old = first_form("s3cret", TOKEN)
    assert signer.verify(old, "unsubscribe", now_s=NOW) == TOKEN
    with pytest.raises(ExpiredToken):
        signer.verify(old, "unsubscribe", now_s=NOW + 61)
    for forged in (
        first_form("s3cret", TOKEN, u="bob").rsplit(".", 1)[0] + "." + old.rsplit(".", 1)[1],
        first_form("other", TOKEN).replace(key_id("other"), key_id("s3cret")),
        _flip(old, len(old) - 1),
    ):
        with pytest.raises(BadToken):
            signer.verify(forged, "unsubscribe", now_s=NOW)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    text = LinkSigner(["other"]).sign(TOKEN)
    with pytest.raises(BadToken, match="key"):
        LinkSigner(["s3cret"]).verify(text, "unsubscribe", now_s=NOW)


def test_keys_rotate_the_newest_signs_and_every_listed_key_verifies() -> None:
    old = LinkSigner(["old-secret"]).sign(TOKEN)
    rotated = LinkSigner.from_setting("new-secret, old-secret")
    assert rotated.verify(old, "unsubscribe", now_s=NOW) == TOKEN
    new = rotated.sign(TOKEN)
    assert LinkSigner(["new-secret"]).verify(new, "unsubscribe", now_s=NOW) == TOKEN
    with pytest.raises(BadToken):
        LinkSigner(["old-secret"]).verify(new, "unsubscribe", now_s=NOW)


def test_no_secret_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="secret"):
        LinkSigner.from_setting(" , ")


def test_a_form_nonce_is_bound_to_its_token_and_lasts_two_hours() -> None:
    signer = LinkSigner(["s3cret"])
    nonce = signer.form_nonce("token-a", now_s=NOW)
    assert signer.check_form_nonce(nonce, "token-a", now_s=NOW + 7199)
    assert not signer.check_form_nonce(nonce, "token-a", now_s=NOW + 7201)
    assert not signer.check_form_nonce(nonce, "token-b", now_s=NOW)
    assert not signer.check_form_nonce(nonce[:-1] + "x", "token-a", now_s=NOW)
    assert not signer.check_form_nonce("", "token-a", now_s=NOW)
    assert not LinkSigner(["other"]).check_form_nonce(nonce, "token-a", now_s=NOW)
