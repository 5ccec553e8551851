"""Racing identical sends through the API, on the Firestore emulator: exactly one message."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.cloud import firestore

from herald.api.http import HttpRequest, HttpResponse
from herald.bootstrap import FirestoreAdapters, build
from herald.ids import hash_api_key
from herald_tools.local.emulators import Emulators

pytestmark = pytest.mark.integration

KEY = "hk_race"
RACERS = 8
SEND = {"message": {"to": {"email": "ada@example.com"}, "content": {"body": "once"}}}


def test_racing_identical_sends_create_exactly_one_message(
    emulators: Emulators, workspace: str
) -> None:
    client = firestore.Client(project=emulators.project)
    adapters = FirestoreAdapters(client=client)
    adapters.keys.put(hash_api_key(KEY), workspace)
    api = build(adapters).api
    request = HttpRequest(
        "POST",
        "/send",
        {"Authorization": f"Bearer {KEY}", "Idempotency-Key": "race-1"},
        json.dumps(SEND).encode(),
    )
    start = threading.Barrier(RACERS)

    def send(_: int) -> HttpResponse:
        start.wait(timeout=10)
        return api.handle(request)

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(send, range(RACERS)))

    ran = [r for r in responses if r.status == 202 and "Idempotent-Replayed" not in r.headers]
    assert len(ran) == 1, [(r.status, r.headers) for r in responses]
    request_id = ran[0].body["requestId"]
    for response in responses:
        if response is not ran[0]:
            assert response.status in (202, 409), response
            assert response.status == 409 or response.body == {"requestId": request_id}
    # A send of one message is stored as that message alone (no request record of its own).
    assert [doc.id for doc in client.collection(f"workspaces/{workspace}/requests").stream()] == []
    assert [doc.id for doc in client.collection(f"workspaces/{workspace}/messages").stream()] == [
        request_id
    ]
    replay = api.handle(request)
    # The replay is counted against the workspace's quota as any POST is.
    assert (replay.status, replay.body, replay.headers.get("Idempotent-Replayed")) == (
        202,
        {"requestId": request_id},
        "true",
    )
    assert int(replay.headers["X-RateLimit-Remaining"]) < int(replay.headers["X-RateLimit-Limit"])
