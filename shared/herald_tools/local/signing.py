"""Signing callbacks as the providers do, for the local stand-ins and the tests.

SendGrid signs with a private key only it holds; locally a key pair is made per
stack, and the api is given its public half, base64 DER, as SendGrid shows it.
Twilio signs with the account's auth token (``herald.callbacks.twilio.signature``).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


class SendGridSigner:
    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        """The verification key, as SendGrid's Mail Settings show it."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, timestamp: str, body: bytes) -> str:
        signed = self._key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signed).decode("ascii")
