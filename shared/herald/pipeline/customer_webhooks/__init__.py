"""Customer webhooks: message:updated posted to the endpoints a workspace registers.

- the endpoints, a resource managed through the API (``resources/webhook_endpoints``).
- ``signing``: each body signed twice, Courier's way and Standard Webhooks' way.
- ``deliveries``: one record per (event, endpoint), with every attempt made.
- ``backoff``: when to try again, and when to give up.
- ``sender``: one HTTP POST, SSRF-checked, classified.
- ``observer``: the ``webhooks`` function's service, which ties them together.
"""
