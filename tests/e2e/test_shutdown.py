"""Every function's server exits within 5 s of SIGTERM, its spans written.

Cloud Run sends SIGTERM to an instance's first process and SIGKILL 10 s later.
Each function is started as the local stack starts it (the functions-framework
command, its gunicorn server), with two requests open when SIGTERM arrives: one
whose body comes just after (it is answered, and its span is on file before the
process ends), and one whose body never comes (it must not hold the exit).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.events.cloud import firestore as firestore_events

from herald.events.envelope import EventEnvelope
from herald.events.registry import EVENTS
from herald.observability.spanfile import read_spans
from herald.topology import FUNCTIONS, RELAY_EVENT_TYPE, Trigger
from herald_tools.local.processes import Child, free_port, port_open, wait_until
from herald_tools.local.stack import Stack

pytestmark = pytest.mark.e2e

STOP_WITHIN_S = 5.0


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    span: str  # the name of the span its handling writes

    def opened(self, port: int) -> socket.socket:
        """Sent all but the body's last byte: in flight until ``finish``."""
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        connection = socket.create_connection(("127.0.0.1", port), timeout=15)
        connection.sendall(
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: {len(self.body)}\r\n\r\n".encode()
            + self.body[:-1]
        )
        return connection

    def finish(self, connection: socket.socket) -> bytes:
        connection.sendall(self.body[-1:])
        return connection.recv(4096)

    def answered(self, port: int) -> bytes:
        connection = self.opened(port)
        try:
            return self.finish(connection)
        finally:
            connection.close()


def unaccepted(port: int) -> int:
    """Connections waiting in the listening socket's queue, not yet taken by the server
    (the receive queue of a listening socket in /proc/net/tcp)."""
    waiting = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            waiting += int(queues.split(":")[1], 16)
    return waiting


def request_for(function: str, trigger: Trigger, project: str, workspace: str) -> Request:
    """A request the function handles quickly, touching nothing of the other tests."""
    if function == "api":
        body = json.dumps({"message": {"to": {"email": "a@example.com"}}}).encode()
        return Request("/send", {"Content-Type": "application/json"}, body, "POST /send")
    if trigger == Trigger.SCHEDULE:
        return Request("/", {"Content-Type": "application/json"}, b"{}", "sweep")
    if trigger == Trigger.FIRESTORE:
        # An outbox record deleted (its TTL): the relay looks at it and ignores it.
        name = f"projects/{project}/databases/(default)/documents/workspaces/{workspace}/m/1"
        event = firestore_events.DocumentEventData(old_value=firestore_events.Document(name=name))
        data = bytes(firestore_events.DocumentEventData.serialize(event))
        headers = {
            "Content-Type": "application/protobuf",
            "ce-id": uuid.uuid4().hex,
            "ce-specversion": "1.0",
            "ce-type": RELAY_EVENT_TYPE,
            "ce-source": f"//firestore.googleapis.com/projects/{project}/databases/(default)",
            "ce-subject": f"documents/workspaces/{workspace}/m/1",
        }
        return Request("/", headers, data, "outbox relay")
    # A push of an event the consumer takes, about a message that does not exist.
    spec = next(s for s in EVENTS if function in s.consumers)
    envelope = EventEnvelope(
        id=f"{workspace}:m:1",
        type=spec.name,
        version=spec.version,
        workspace=workspace,
        message_id="m",
        request_id="m",
        seq=1,
        occurred_ms=1,
        payload={},
    )
    push = {
        "message": {
            "data": base64.b64encode(envelope.model_dump_json().encode()).decode(),
            "attributes": envelope.attributes(),
            "messageId": "1",
        },
        "subscription": f"projects/{project}/subscriptions/{spec.subscription(function)}",
    }
    return Request(
        f"/projects/{project}/topics/{spec.topic}",
        {"Content-Type": "application/json"},
        json.dumps(push).encode(),
        f"{spec.topic} process",
    )


@dataclass
class Served:
    name: str
    child: Child
    port: int
    trace_dir: Path
    request: Request


@pytest.fixture
def servers(stack: Stack, tmp_path: Path) -> Iterator[list[Served]]:
    workspace = f"shutdown-{uuid.uuid4().hex[:8]}"
    started = []
    for spec in FUNCTIONS:
        port, trace_dir = free_port(), tmp_path / spec.name
        child = Child(
            spec.name,
            stack.function_command(spec.name, port),
            tmp_path / f"{spec.name}.log",
            env=stack.function_environment(spec.name, {"HERALD_TRACE_DIR": str(trace_dir)}),
            cwd=stack.root,
        )
        child.start()
        request = request_for(spec.name, spec.trigger, stack.emulators.project, workspace)
        started.append(Served(spec.name, child, port, trace_dir, request))
    try:
        for served in started:
            wait_until(lambda s=served: port_open(s.port), 60, f"{served.name} to listen")  # type: ignore[misc]
        yield started
    finally:
        for served in started:
            served.child.stop()


def test_each_function_exits_within_5_s_of_sigterm_with_its_spans_written(
    servers: list[Served],
) -> None:
    for served in servers:  # an instance that has served: its clients are made
        assert served.request.answered(served.port).startswith(b"HTTP/1.1 ")
    late = {s.name: s.request.opened(s.port) for s in servers}
    never = {s.name: s.request.opened(s.port) for s in servers}
    for served in servers:  # both in the server's hands: in flight, not queued
        wait_until(lambda s=served: unaccepted(s.port) == 0, 30, f"{served.name} to accept")  # type: ignore[misc]
    signalled = {}
    for served in servers:
        assert served.child.pid is not None
        os.kill(served.child.pid, signal.SIGTERM)  # to the first process, as Cloud Run does
        signalled[served.name] = time.monotonic()

    answers = {s.name: s.request.finish(late[s.name]) for s in servers}

    for served in servers:
        process = served.child.process
        assert process is not None
        left = signalled[served.name] + STOP_WITHIN_S - time.monotonic()
        assert process.wait(timeout=max(left, 0.01)) == 0, served.child.tail()
        stopped_after = time.monotonic() - signalled[served.name]
        assert stopped_after <= STOP_WITHIN_S, (served.name, stopped_after)
        with pytest.raises(ProcessLookupError):
            os.killpg(process.pid, 0)  # its worker went with it
        assert answers[served.name].startswith(b"HTTP/1.1 "), (served.name, served.child.tail())
        spans = [s.name for s in read_spans(served.trace_dir)]
        assert spans.count(served.request.span) >= 2, (served.name, spans)  # warm, late
    for connection in (*late.values(), *never.values()):
        connection.close()
