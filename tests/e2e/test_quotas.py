"""Workspaces' quotas on the local stack: one workspace over its quota gets 429s, the
others are not held back."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping

import courier
import pytest
from courier import Courier

from herald.ids import hash_api_key
from herald.store.base import WorkspaceQuota, WorkspaceSettings
from herald_tools.local.stack import Stack

pytestmark = pytest.mark.e2e

SEND = {"message": {"to": {"email": "ada@example.com"}, "content": {"title": "T", "body": "B"}}}


def workspace_with_quota(stack: Stack, quota: WorkspaceQuota | None) -> str:
    """A new workspace, its quota set before the api ever reads its settings; its key."""
    workspace = f"e2e-quota-{secrets.token_hex(6)}"
    key = "hk_e2e_" + secrets.token_urlsafe(24)
    adapters = stack.adapters()
    adapters.workspaces.save_settings(workspace, WorkspaceSettings(quota=quota))
    adapters.keys.put(hash_api_key(key), workspace)
    return key


def post_send(stack: Stack, key: str) -> tuple[int, Mapping[str, str]]:
    request = urllib.request.Request(
        stack.base_url + "/send",
        json.dumps(SEND).encode(),
        {"content-type": "application/json", "authorization": f"Bearer {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_5_of_20_rapid_sends_pass_a_burst_of_5_and_another_workspace_is_unaffected(
    stack: Stack,
) -> None:
    # 0.001/s: no token comes back during the test, so the counts are exact.
    flooding = workspace_with_quota(stack, WorkspaceQuota(rate=0.001, burst=5))
    calm = workspace_with_quota(stack, None)
    answers = [post_send(stack, flooding) for _ in range(20)]
    assert [status for status, _ in answers] == [202] * 5 + [429] * 15
    first, refused = answers[0][1], answers[5][1]
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("5", "4")
    assert refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["Retry-After"]) > 900  # a token in 1,000 s
    assert [post_send(stack, calm)[0] for _ in range(20)] == [202] * 20


def test_the_courier_sdk_reads_the_refusal_as_its_rate_limit_error(stack: Stack) -> None:
    key = workspace_with_quota(stack, WorkspaceQuota(rate=0.001, burst=1))
    with Courier(api_key=key, base_url=stack.base_url, max_retries=0) as sdk:
        message = {"to": {"email": "ada@example.com"}, "content": {"title": "T", "body": "B"}}
        assert sdk.send.message(message=message).request_id  # type: ignore[arg-type]
        with pytest.raises(courier.RateLimitError) as refused:
            sdk.send.message(message=message)  # type: ignore[arg-type]
    assert refused.value.status_code == 429
    assert refused.value.response.headers["retry-after"]


def test_a_workspace_lowers_its_quota_through_the_api_and_is_held_to_it_at_once(
    stack: Stack,
) -> None:
    key = workspace_with_quota(stack, WorkspaceQuota(rate=0.001, burst=5))
    request = urllib.request.Request(
        stack.base_url + "/quota",
        json.dumps({"burst": 2}).encode(),
        {"content-type": "application/json", "authorization": f"Bearer {key}"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        view = json.load(response)
    assert (view["burst"], view["ceiling"]["burst"], view["granted"]) == (2, 5, True)
    assert [post_send(stack, key)[0] for _ in range(3)] == [202, 202, 429]
