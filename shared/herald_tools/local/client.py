"""A minimal client of Herald's HTTP API, for the local tools (benchmarks, fault suite)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class ApiClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url, self.api_key = base_url, api_key

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Raises ``urllib.error.HTTPError`` on a non-2xx answer; None for an empty one."""
        request = urllib.request.Request(
            self.base_url + path,
            json.dumps(body).encode() if body is not None else None,
            {"authorization": f"Bearer {self.api_key}", "content-type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
