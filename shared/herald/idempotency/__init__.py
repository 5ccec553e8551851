"""Courier-compatible idempotency for the HTTP API's POSTs.

The pieces, after aws-powertools' idempotency utility:

- ``base``: the records, the outcome of a claim and the ``IdempotencyStore``
  protocol, with the one claim rule every backend applies atomically;
- ``memory``: a thread-safe in-memory store, for tests;
- ``firestore``: the Firestore store (``workspaces/{ws}/idempotency/{digest}``);
- ``keys``: reading the two headers, and the body hash (canonical JSON);
- ``http``: ``IdempotentPosts``, what ``Api.handle`` runs a POST through;
- ``exceptions``: the errors of a bad ``Idempotency-Key`` or
  ``x-idempotency-expiration`` header.
"""
