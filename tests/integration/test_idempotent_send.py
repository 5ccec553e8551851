"""Racing identical sends through the API, on the Firestore emulator: exactly one message."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.cloud import firestore

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.api.routes import build_router
from herald.config import CallbackSettings
from herald.engagement.links import LinkMaker
from herald.idempotency.firestore import FirestoreIdempotencyStore
from herald.idempotency.http import IdempotentPosts
from herald.ids import hash_api_key
from herald.local.emulators import Emulators
from herald.services.canceling import CancelService
from herald.services.feedback import FeedbackService
from herald.services.reading import MessageReader
from herald.services.sending import SendService
from herald.services.suppression import SuppressionList
from herald.store.firestore import FirestoreMessages, FirestoreSummaries
from herald.store.firestore_documents import FirestoreDocuments
from herald.store.memory import InMemoryKeys

pytestmark = pytest.mark.integration

KEY = "hk_race"
RACERS = 8
SEND = {"message": {"to": {"email": "ada@example.com"}, "content": {"body": "once"}}}


class FirestoreServices:
    def __init__(self, client: firestore.Client) -> None:
        self.sending = SendService(FirestoreMessages(client))
        self.reader = MessageReader(FirestoreMessages(client), FirestoreSummaries(client))
        self.documents = FirestoreDocuments(client)
        self.canceling = CancelService(FirestoreMessages(client))
        self.feedback = FeedbackService(FirestoreMessages(client), SuppressionList(self.documents))
        self.callbacks = CallbackSettings()
        self.links: LinkMaker | None = None


def test_racing_identical_sends_create_exactly_one_message(
    emulators: Emulators, workspace: str
) -> None:
    client = firestore.Client(project=emulators.project)
    keys = InMemoryKeys()
    keys.put(hash_api_key(KEY), workspace)
    api = Api(
        build_router(),
        keys,
        FirestoreServices(client),
        IdempotentPosts(FirestoreIdempotencyStore(client)),
    )
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
    assert (replay.status, replay.body, replay.headers) == (
        202,
        {"requestId": request_id},
        {"Idempotent-Replayed": "true"},
    )
