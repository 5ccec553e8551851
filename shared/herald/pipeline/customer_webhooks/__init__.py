"""Customer webhooks: message:updated posted to the endpoints a workspace registers.

- the endpoints, a resource managed through the API (``resources/webhook_endpoints``).
- ``signing``: each body signed twice, Courier's way and Standard Webhooks' way.
- ``deliveries``: one record per (event, endpoint), with every attempt made.
- ``sender``: one HTTP POST, SSRF-checked, classified.
- ``observer``: the ``webhooks`` function's service, which ties them together and
  retries on the durable timer (``herald.domain.backoff``) for up to three days.
- ``presence``: whether a workspace has endpoints, which the relay tells the observer's
  subscriptions, so a workspace without any costs the observer nothing.
"""
