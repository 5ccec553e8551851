"""Provider callbacks: each provider's own signature, checked as it documents it, and its
reports turned into ``Feedback``.

- ``sendgrid``: the Signed Event Webhook (ECDSA P-256 over timestamp + body).
- ``twilio``: ``X-Twilio-Signature`` (HMAC-SHA1 over the URL and the sorted POST
  parameters) on message status callbacks and inbound messages (STOP / START).
- ``replay``: requests already taken, refused when they come again.
"""
