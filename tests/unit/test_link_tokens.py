"""Signed link tokens: what they carry, and every way a token is refused."""

from __future__ import annotations

import base64
import json

import pytest

from herald.engagement.tokens import BadToken, ExpiredToken, LinkSigner, LinkToken

NOW = 1_800_000_000
TOKEN = LinkToken(
    purpose="unsubscribe",
    workspace="ws1",
    message_id="m-1",
    expires_s=NOW + 60,
    user_id="ada",
    topic_id="digest",
)


def test_a_signed_token_verifies_to_what_was_signed_and_is_url_safe() -> None:
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


def _swap_payload(text: str, **changes: object) -> str:
    kid, payload, signature = text.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{kid}.{forged}.{signature}"


def _flip_signature(text: str) -> str:
    head, _, signature = text.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_a_changed_payload_or_signature_is_refused() -> None:
    signer = LinkSigner(["s3cret"])
    text = signer.sign(TOKEN)
    for forged in (
        _swap_payload(text, u="bob"),  # someone else's preferences
        _swap_payload(text, e=NOW + 10**9),  # a longer life
        _flip_signature(text),
        text.replace(".", "", 1),
        "",
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
