"""Customer webhooks: message:updated posted to the endpoints a workspace registers.

- ``endpoints``: the endpoints, managed through the API (``api/routes/webhooks``).
- ``signing``: each body signed twice, Courier's way and Standard Webhooks' way.
- ``deliveries``: one record per (event, endpoint), with every attempt made.
- ``backoff``: when to try again, and when to give up.
- ``sender``: one HTTP POST, SSRF-checked, classified.
- ``observer``: the ``webhooks`` function's service, which ties them together.
- ``presence``: whether a workspace has endpoints, which the relay tells the observer's
  subscriptions, so a workspace without any costs the observer nothing.
"""
