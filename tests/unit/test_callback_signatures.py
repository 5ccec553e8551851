"""Each provider's signature, checked against vectors computed as the provider documents."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from herald.callbacks import sendgrid, twilio

# Twilio's documented example: this URL and these parameters, signed with auth token 12345.
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
TWILIO_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="

# SendGrid's published test vector of the Signed Event Webhook (key, timestamp, body).
SENDGRID_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw"
    "+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SENDGRID_SIGNATURE = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
SENDGRID_TIMESTAMP = "1600112502"
SENDGRID_BODY = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"  # the body is signed byte for byte, its line ending too
).encode()


def test_twilio_signature_matches_the_documented_example() -> None:
    assert twilio.signature("12345", TWILIO_URL, TWILIO_PARAMS) == TWILIO_SIGNATURE
    assert twilio.verify("12345", TWILIO_URL, TWILIO_PARAMS, TWILIO_SIGNATURE)


def test_twilio_refuses_another_token_url_or_parameter() -> None:
    assert not twilio.verify("54321", TWILIO_URL, TWILIO_PARAMS, TWILIO_SIGNATURE)
    assert not twilio.verify("12345", TWILIO_URL + "&baz=3", TWILIO_PARAMS, TWILIO_SIGNATURE)
    changed = {**TWILIO_PARAMS, "Digits": "1235"}
    assert not twilio.verify("12345", TWILIO_URL, changed, TWILIO_SIGNATURE)
    assert not twilio.verify("12345", TWILIO_URL, {**TWILIO_PARAMS, "X": ""}, TWILIO_SIGNATURE)


def test_sendgrid_accepts_its_published_vector() -> None:
    key = sendgrid.load_public_key(SENDGRID_KEY)
    assert sendgrid.verify(key, SENDGRID_BODY, SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP)


def test_sendgrid_refuses_a_changed_body_timestamp_key_or_signature() -> None:
    key = sendgrid.load_public_key(SENDGRID_KEY)
    assert not sendgrid.verify(key, SENDGRID_BODY.rstrip(), SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP)
    assert not sendgrid.verify(key, SENDGRID_BODY, SENDGRID_SIGNATURE, "1600112503")
    assert not sendgrid.verify(key, SENDGRID_BODY, "not base64!", SENDGRID_TIMESTAMP)
    assert not sendgrid.verify(key, SENDGRID_BODY, base64.b64encode(b"x").decode(), "1")
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not sendgrid.verify(other, SENDGRID_BODY, SENDGRID_SIGNATURE, SENDGRID_TIMESTAMP)


def test_sendgrid_signatures_made_as_documented_verify_with_the_der_or_pem_key() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body, timestamp = b'[{"event":"delivered"}]', "1700000000"
    signed = base64.b64encode(private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256())))
    for key in (base64.b64encode(der).decode(), pem.decode()):
        assert sendgrid.verify(sendgrid.load_public_key(key), body, signed.decode(), timestamp)


def test_twilio_status_callbacks_and_keywords_become_feedback() -> None:
    delivered = twilio.status_feedback(
        "ws", "m1", {"MessageSid": "SM1", "MessageStatus": "delivered"}, 5
    )
    assert delivered is not None
    assert (delivered.kind, delivered.source_id, delivered.channel) == (
        "delivered",
        "SM1:delivered",
        "sms",
    )
    unknown_number = twilio.status_feedback(
        "ws", "m1", {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30005"}, 5
    )
    assert unknown_number is not None and unknown_number.kind == "bounced"
    assert unknown_number.suppresses and unknown_number.detail == "twilio undelivered: error 30005"
    filtered = twilio.status_feedback(
        "ws", "m1", {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30007"}, 5
    )
    assert filtered is not None and not filtered.suppresses
    assert (
        twilio.status_feedback("ws", "m1", {"MessageSid": "SM1", "MessageStatus": "sent"}, 5)
        is None
    )
    assert [twilio.keyword(w) for w in (" stop ", "Unsubscribe", "START", "unstop", "hi")] == [
        "stop",
        "stop",
        "start",
        "start",
        None,
    ]
