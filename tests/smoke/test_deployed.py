"""Smoke test of a deployed Herald: one send goes through every stage and is traced.

Runs only against a deployment (Cloud Build's smoke step sets these):
  HERALD_SMOKE_URL       the API's base URL (terraform output api_url)
  HERALD_SMOKE_KEY       an API key of a workspace (herald keys create smoke)
  GOOGLE_CLOUD_PROJECT   the project, whose Cloud Trace is read with the caller's credentials

The message goes to a webhook on the API itself, which refuses it without a key:
a permanent 4xx, so the message ends UNDELIVERABLE after crossing api, relay,
render, deliver and log, without mailing anyone.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.conftest import eventually

URL = os.environ.get("HERALD_SMOKE_URL", "").rstrip("/")
KEY = os.environ.get("HERALD_SMOKE_KEY", "")
PROJECT = os.environ.get("GOOGLE_CLOUD_PROJECT", "")

pytestmark = pytest.mark.skipif(
    not (URL and KEY and PROJECT), reason="no deployment to smoke-test (HERALD_SMOKE_URL, ...)"
)

END_STATES = {"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE"}


def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {KEY}",
            "content-type": "application/json",
            **(headers or {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def trace_span_names(trace_id: str) -> set[str] | None:
    """Names of the trace's spans in Cloud Trace, or None while it has not arrived."""
    import google.auth
    import google.auth.transport.requests

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/trace.readonly"])
    # google-auth leaves Credentials.refresh unannotated.
    credentials.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    request = urllib.request.Request(
        f"https://cloudtrace.googleapis.com/v1/projects/{PROJECT}/traces/{trace_id}",
        headers={"Authorization": f"Bearer {credentials.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            trace = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return {span["name"] for span in trace.get("spans", [])}


def test_a_send_reaches_an_end_state_and_its_trace_crosses_the_pipeline() -> None:
    trace_id = secrets.token_hex(16)
    accepted = call(
        "POST",
        "/send",
        {
            "message": {
                "to": {"webhook": {"url": f"{URL}/smoke-sink"}},
                "content": {"title": "smoke", "body": f"smoke test {time.time():.0f}"},
            }
        },
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    request_id = accepted["requestId"]

    def ended() -> dict[str, Any] | None:
        listed = call("GET", f"/messages?requestId={request_id}")["results"]
        done = [m for m in listed if m["status"] in END_STATES]
        return done[0] if done else None

    message = eventually(ended, timeout_s=180, what="the smoke message to end")
    assert message["traceId"] == trace_id

    def traced() -> set[str] | None:
        names = trace_span_names(trace_id)
        wanted = {"POST /send", "outbox relay", "herald-message-enqueued process"}
        return names if names and wanted <= names else None

    eventually(traced, timeout_s=300, what="the send's trace in Cloud Trace")
