"""What one delivered email costs in Firestore operations and invocations, per function.

The services are built by the composition root on a client that counts every
operation as Firestore bills it (``herald_tools.local.firestore_counts``), and driven
as the cloud drives them: the api takes the send, the relay each outbox record
created, each consumer what its subscription (and filter) lets through. The
counts are exact, and the cost model prices exactly these.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import firestore

from herald.api.http import HttpRequest
from herald.bootstrap import FirestoreAdapters, Services, build
from herald.config import Settings
from herald.events.envelope import EventEnvelope
from herald.events.registry import spec_for, subscription_filter
from herald.ids import hash_api_key
from herald.publish.memory import InMemoryPublisher
from herald.resources.webhook_endpoints import EndpointService
from herald.store.firestore import FirestoreKeys
from herald.store.firestore_documents import FirestoreDocuments
from herald_tools.cost import TEMPLATED, WORK, Work, invocations_per_email
from herald_tools.local.emulators import Emulators
from herald_tools.local.firestore_counts import CountingClient, FirestoreCounts, OperationCounter
from tests.unit.fakes import FakeProvider, RecordingSender

pytestmark = pytest.mark.integration


@pytest.fixture
def counted(emulators: Emulators) -> OperationCounter:
    return OperationCounter()


def counted_services(counter: OperationCounter, project: str) -> tuple[Services, FakeProvider]:
    """Every function's service, built by the composition root as in production, on one
    counting client; the email provider and the publisher are the test's."""
    client = CountingClient(counter, project=project)
    adapters = FirestoreAdapters(Settings.from_env({"GOOGLE_CLOUD_PROJECT": project}), client)
    email = FakeProvider("smtp", "email")
    adapters.providers = [email]
    adapters.publisher = InMemoryPublisher()
    return build(adapters), email


CONTENT = {"title": "Hi", "body": "x"}


class Cloud:
    """Drives the services as Eventarc and Pub/Sub would, counting per function."""

    def __init__(self, counter: OperationCounter, project: str, workspace: str) -> None:
        self.counter = counter
        self.workspace = workspace
        self.plain = firestore.Client(project=project)  # what the test reads: not counted
        self.key = "hk_" + uuid.uuid4().hex
        FirestoreKeys(self.plain).put(hash_api_key(self.key), workspace)
        self.services, self.email = counted_services(counter, project)
        publisher = self.services.relay.publisher
        assert isinstance(publisher, InMemoryPublisher)
        self.publisher = publisher
        self.consumers: dict[str, Callable[[EventEnvelope], None]] = {
            "render": self.services.render.handle,
            "deliver": self.services.deliver.handle,
            "webhooks": self.services.webhooks.handle,
        }
        self.operations: dict[str, FirestoreCounts] = {}
        self.invocations: Counter[str] = Counter()

    def _run(self, function: str, call: Callable[[], Any]) -> Any:
        before = self.counter.snapshot()
        result = call()
        spent = self.counter.snapshot() - before
        self.operations[function] = self.operations.get(function, FirestoreCounts()) + spent
        self.invocations[function] += 1
        return result

    def request(self, method: str, path: str, body: dict[str, Any]) -> HttpRequest:
        return HttpRequest(
            method,
            path,
            {"authorization": f"Bearer {self.key}", "content-type": "application/json"},
            body=json.dumps(body).encode(),
        )

    def send(self, to: dict[str, Any], template: str | None = None) -> str:
        """A send of inline content, or of ``template`` when named."""
        message = {"to": to, **({"template": template} if template else {"content": CONTENT})}
        request = self.request("POST", "/send", {"message": message})
        response = self._run("api", functools.partial(self.services.api.handle, request))
        assert response.status == 202, response.body
        message_id: str = response.body["requestId"]
        self._drain(message_id)
        return message_id

    def _drain(self, message_id: str) -> None:
        events = self.plain.collection(
            "workspaces", self.workspace, "messages", message_id, "events"
        )
        relayed = 0
        while True:
            records = [d.to_dict() or {} for d in events.order_by("seq").stream()]
            if relayed == len(records):
                return
            for record in records[relayed:]:
                relayed += 1
                published = len(self.publisher.messages)
                relay = self.services.relay
                self._run("relay", functools.partial(relay.handle_write, None, record))
                for message in self.publisher.messages[published:]:
                    self._push(message.data, message.attributes)

    def _push(self, data: bytes, attributes: dict[str, str]) -> None:
        envelope = EventEnvelope.model_validate_json(data)
        for consumer in spec_for(envelope.type).consumers:
            wanted = subscription_filter(consumer)
            if wanted is None or wanted.admits(attributes):
                self._run(consumer, functools.partial(self.consumers[consumer], envelope))

    def reset(self) -> None:
        self.operations, self.invocations = {}, Counter()


def test_one_delivered_email_costs_what_the_cost_model_prices(
    counted: OperationCounter, emulators: Emulators, workspace: str
) -> None:
    cloud = Cloud(counted, emulators.project, workspace)
    cloud.send({"email": "warm@example.com"})  # instances warm: the key and settings read
    cloud.reset()

    message_id = cloud.send({"email": "ada@example.com"})

    assert len(cloud.email.sent) == 2
    stored = cloud.plain.document("workspaces", workspace, "messages", message_id).get()
    assert (stored.to_dict() or {})["status"] == "SENT"
    expected = {name: n for name, n in invocations_per_email().items() if n}
    assert dict(cloud.invocations) == expected
    assert sum(cloud.invocations.values()) <= 8
    counted_work = {
        name: (ops.reads, ops.writes + ops.deletes) for name, ops in cloud.operations.items()
    }
    priced = {name: (WORK[name].reads, WORK[name].writes) for name in counted_work}
    assert counted_work == priced
    # No function reads or writes the list view on its own: it is written with the message.
    assert "log" not in cloud.invocations


def test_a_templated_email_costs_its_counter_write_besides(
    counted: OperationCounter, emulators: Emulators, workspace: str
) -> None:
    cloud = Cloud(counted, emulators.project, workspace)
    stored = cloud.request("PUT", "/templates/welcome", {"content": CONTENT})
    assert cloud.services.api.handle(stored).status < 300  # not counted: not per email
    cloud.send({"email": "warm@example.com"}, template="welcome")
    cloud.reset()

    cloud.send({"email": "ada@example.com"}, template="welcome")

    counted_work = {
        name: (ops.reads, ops.writes + ops.deletes) for name, ops in cloud.operations.items()
    }
    besides = {name: TEMPLATED.get(name, Work()) for name in counted_work}
    priced = {
        name: (WORK[name].reads + more.reads, WORK[name].writes + more.writes)
        for name, more in besides.items()
    }
    assert counted_work == priced


def test_a_workspace_with_an_endpoint_gets_its_events_to_the_observer(
    counted: OperationCounter, emulators: Emulators, workspace: str
) -> None:
    cloud = Cloud(counted, emulators.project, workspace)
    EndpointService(FirestoreDocuments(cloud.plain)).register(
        workspace, {"url": "https://hooks.example.com/h", "events": ["message:updated"]}
    )
    sender = RecordingSender()
    cloud.services.webhooks.sender = sender
    cloud.send({"email": "ada@example.com"})
    assert cloud.invocations["webhooks"] == invocations_per_email(endpoint_share=1.0)["webhooks"]
    assert [post.url for post in sender.posts] == ["https://hooks.example.com/h"] * 2


def test_a_workspace_over_its_quota_is_refused_without_a_firestore_operation(
    counted: OperationCounter, emulators: Emulators, workspace: str
) -> None:
    from herald.store.base import WorkspaceQuota, WorkspaceSettings
    from herald.store.firestore import FirestoreWorkspaces

    cloud = Cloud(counted, emulators.project, workspace)
    quota = WorkspaceQuota(rate=0.001, burst=2)
    FirestoreWorkspaces(cloud.plain).save_settings(workspace, WorkspaceSettings(quota=quota))
    cloud.send({"email": "warm@example.com"})  # the key and the settings read, then cached
    cloud.reset()

    cloud.send({"email": "ada@example.com"})  # the burst's second: counted, not written
    body = json.dumps({"message": {"to": {"email": "b@example.com"}, "content": {"body": "x"}}})
    request = HttpRequest(
        "POST", "/send", {"authorization": f"Bearer {cloud.key}"}, body=body.encode()
    )
    for _ in range(10):
        refused = cloud._run("api", functools.partial(cloud.services.api.handle, request))
        assert refused.status == 429
    api = cloud.operations["api"]
    # The accepted send's two writes (the batch of its message and outbox record), as
    # priced; no read, and nothing at all for the ten refusals.
    assert (api.reads, api.writes) == (WORK["api"].reads, WORK["api"].writes)
