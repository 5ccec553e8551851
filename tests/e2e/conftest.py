"""End-to-end tests: the whole local stack, driven only through HTTP and the sinks."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from herald.ids import hash_api_key
from herald_tools.local.stack import Stack
from tests.e2e import failure_logs

pytestmark = pytest.mark.e2e


@dataclass
class Client:
    base_url: str
    key: str | None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        key: str | None = "default",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"content-type": "application/json", **(headers or {})}
        use_key = self.key if key == "default" else key
        if use_key:
            headers["authorization"] = f"Bearer {use_key}"
        request = urllib.request.Request(self.base_url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def send(self, message: dict[str, Any]) -> str:
        status, body = self.request("POST", "/send", {"message": message})
        assert status == 202, body
        request_id: str = body["requestId"]
        return request_id


_LOG_DIR = pytest.StashKey[Path]()  # the running stack's logs, once a test started it
_LOG_OFFSETS = pytest.StashKey[dict[Path, int]]()


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    running = Stack.with_fast_clocks(Path(tmp_path_factory.mktemp("herald")))
    running.start()
    request.config.stash[_LOG_DIR] = running.log_dir
    yield running
    running.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    if (log_dir := item.config.stash.get(_LOG_DIR, None)) is not None:
        item.stash[_LOG_OFFSETS] = failure_logs.offsets(log_dir)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    log_dir = item.config.stash.get(_LOG_DIR, None)
    if report.when == "call" and report.failed and log_dir is not None:
        before = item.stash.get(_LOG_OFFSETS, {})
        report.sections.extend(failure_logs.written_since(log_dir, before))
    return report


@pytest.fixture(scope="session")
def api(stack: Stack) -> Client:
    return Client(stack.base_url, stack.api_key)


@pytest.fixture(scope="session")
def sinks(stack: Stack) -> Client:
    return Client(stack.sinks.base_url, None)


@pytest.fixture
def own_workspace_api(stack: Stack) -> Client:
    """A client of a workspace of its own: what a test sees there (webhook posts, message
    lists) is its own, whatever earlier tests left in flight in the shared one."""
    key = "hk_e2e_" + secrets.token_urlsafe(24)
    stack.adapters().keys.put(hash_api_key(key), f"e2e-{secrets.token_hex(6)}")
    return Client(stack.base_url, key)
