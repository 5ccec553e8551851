"""The inbox's real-time socket, as Courier's inbox client (courier-js 3.x) speaks it, over
the in-memory stores the composition root builds: what it answers, what it tells, whom it
refuses, and the limits that close a socket."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from herald.clock import now_ms
from herald.domain.inbox import socket_events
from herald.engagement.user_tokens import Scope, UserTokens
from herald.realtime.app import Backlog, RealtimeService
from herald.realtime.connections import MAX_CONNECTION_ID_CHARS, RESUME_WINDOW_S, Connections
from herald.realtime.protocol import (
    MAX_CLIENT_MESSAGE_BYTES,
    PING_INTERVAL_S,
    POLICY_VIOLATION,
    TOO_BIG,
    TRY_AGAIN_LATER,
    UNSUPPORTED_DATA,
    Closing,
)
from herald.realtime.session import MAX_CLIENT_MESSAGES_PER_WINDOW, WINDOW_S, InboxSession, Told
from herald.store.inbox_watch import InboxWatch, Listening, OnChanges
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_inbox import FULL_SCOPE, SECRET, as_client, issue, make_api, send_inbox


def socket_url(token: str, user: str = "ada", cid: str = "c1") -> str:
    """The URL courier-js 3.4.0 opens (``CourierSocket.getWebSocketUrl``)."""
    query = urllib.parse.urlencode(
        {
            "auth": token,
            "cid": cid,
            "iwpv": "v1",
            "userId": user,
            "sdk": "courier-js",
            "sdkv": "3.4.0",
        }
    )
    return f"/?{query}"


@pytest.fixture
def inbox() -> Iterator[tuple[Pipeline, TestClient]]:
    _, pipeline = make_api()
    with TestClient(pipeline.services.realtime.app()) as client:
        yield pipeline, client


def open_subscribed(client: TestClient, token: str, user: str = "ada", cid: str = "c1") -> Any:
    """A socket as the client leaves it after opening: config asked, subscribed."""
    socket = client.websocket_connect(socket_url(token, user, cid))
    ws = socket.__enter__()
    ws.send_json({"tid": "t-config", "action": "get-config"})
    assert ws.receive_json() == {
        "tid": "t-config",
        "response": "config",
        "data": {"pingInterval": PING_INTERVAL_S, "maxOutstandingPings": 3},
    }
    ws.send_json({"tid": "t-sub", "action": "subscribe", "data": {"channel": user, "event": "*"}})
    assert ws.receive_json() == {"tid": "t-sub", "response": "ack"}
    return socket, ws


def closed_with(ws: WebSocketTestSession) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_text()
    return closed.value


def test_a_new_message_and_a_read_elsewhere_are_told_to_the_open_socket(
    inbox: tuple[Pipeline, TestClient],
) -> None:
    pipeline, client = inbox
    api = pipeline.api
    token = issue(api)
    socket, ws = open_subscribed(client, token)
    message_id = send_inbox(api, pipeline)
    told = ws.receive_json()
    assert (told["event"], told["messageId"]) == ("message", message_id)
    assert told["data"]["title"] == "Hello Ada" and told["data"]["read"] is None
    assert told["data"]["created"].endswith("Z")

    assert as_client(api, token, "read", message_id).status == 200
    assert ws.receive_json() == {"event": "read", "messageId": message_id}
    assert as_client(api, token, "archive", message_id).status == 200
    assert ws.receive_json() == {"event": "archive", "messageId": message_id}
    ws.send_json({"tid": "t-ping", "action": "ping"})
    assert ws.receive_json() == {"tid": "t-ping", "response": "pong"}  # nothing else was told
    socket.__exit__(None, None, None)


def test_a_bulk_change_is_told_for_each_message(inbox: tuple[Pipeline, TestClient]) -> None:
    pipeline, client = inbox
    token = issue(pipeline.api)
    first, second = send_inbox(pipeline.api, pipeline), send_inbox(pipeline.api, pipeline)
    socket, ws = open_subscribed(client, token)
    assert as_client(pipeline.api, token, "readAll").status == 200
    told = [ws.receive_json(), ws.receive_json()]
    assert sorted(t["messageId"] for t in told) == sorted([first, second])
    assert {t["event"] for t in told} == {"read"}
    socket.__exit__(None, None, None)


def test_another_users_and_another_workspaces_messages_are_never_told(
    inbox: tuple[Pipeline, TestClient],
) -> None:
    pipeline, client = inbox
    api = pipeline.api
    socket, ws = open_subscribed(client, issue(api))
    send_inbox(api, pipeline, user="grace")
    other_workspace = call(
        api,
        "POST",
        "/send",
        {
            "message": {
                "to": {"user_id": "ada"},
                "content": {"title": "t", "body": "b"},
                "routing": {"method": "single", "channels": ["inbox"]},
            }
        },
        "other-key",
    )
    assert other_workspace.status == 202
    pipeline.drain()
    mine = send_inbox(api, pipeline)
    assert ws.receive_json()["messageId"] == mine  # the first and only one told
    socket.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("scope", "user", "why"),
    [
        ("user_id:grace inbox:read:messages", "ada", "does not cover this user"),
        ("user_id:ada inbox:write:events", "ada", "lacks inbox:read:messages"),
    ],
)
def test_a_token_for_another_user_or_without_the_read_scope_is_closed(
    inbox: tuple[Pipeline, TestClient], scope: str, user: str, why: str
) -> None:
    pipeline, client = inbox
    with client.websocket_connect(socket_url(issue(pipeline.api, scope), user)) as ws:
        closed = closed_with(ws)
    assert closed.code == POLICY_VIOLATION and why in closed.reason


def test_an_expired_or_foreign_token_is_closed(inbox: tuple[Pipeline, TestClient]) -> None:
    pipeline, client = inbox
    foreign, _ = make_api(user_token_secret="another-secret-of-thirty-two-bytes-or-more")
    expired = UserTokens.from_setting(SECRET).issue("ws1", Scope.parse(FULL_SCOPE), 0, 60)
    tampered = issue(pipeline.api)[:-2] + "xx"
    for token in (issue(foreign), expired, tampered, "", "x" * 5000):
        with client.websocket_connect(socket_url(token)) as ws:
            closed = closed_with(ws)
        assert closed.code == POLICY_VIOLATION and closed.reason.startswith("unauthorized")


def test_subscribing_to_another_users_channel_closes_the_socket(
    inbox: tuple[Pipeline, TestClient],
) -> None:
    pipeline, client = inbox
    with client.websocket_connect(socket_url(issue(pipeline.api))) as ws:
        ws.send_json({"tid": "t", "action": "subscribe", "data": {"channel": "grace"}})
        closed = closed_with(ws)
    assert (closed.code, closed.reason) == (POLICY_VIOLATION, "channel: the token's user only")


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("not json", UNSUPPORTED_DATA),
        ("[]", UNSUPPORTED_DATA),
        (json.dumps({"tid": "t", "action": "drop-tables"}), UNSUPPORTED_DATA),
        (json.dumps({"tid": "", "action": "ping"}), UNSUPPORTED_DATA),
        (json.dumps({"tid": "t", "action": "subscribe", "data": []}), UNSUPPORTED_DATA),
        (b"\x00\x01", UNSUPPORTED_DATA),
        (
            json.dumps({"tid": "t", "action": "ping", "pad": "x" * MAX_CLIENT_MESSAGE_BYTES}),
            TOO_BIG,
        ),
    ],
)
def test_garbage_closes_the_socket_with_a_code_and_the_service_serves_on(
    inbox: tuple[Pipeline, TestClient], sent: str | bytes, code: int
) -> None:
    pipeline, client = inbox
    token = issue(pipeline.api)
    with client.websocket_connect(socket_url(token)) as ws:
        if isinstance(sent, bytes):
            ws.send_bytes(sent)
        else:
            ws.send_text(sent)
        assert closed_with(ws).code == code
    socket, ws = open_subscribed(client, token)  # the next socket is served
    socket.__exit__(None, None, None)


def test_a_message_of_exactly_the_limit_is_read() -> None:
    session = InboxSession("ada", Told(0), lambda: 0.0)
    envelope = json.dumps({"tid": "t", "action": "ping", "pad": ""})
    padded = envelope.replace(
        '"pad": ""', '"pad": "' + "x" * (MAX_CLIENT_MESSAGE_BYTES - len(envelope)) + '"'
    )
    assert len(padded.encode()) == MAX_CLIENT_MESSAGE_BYTES
    assert session.on_client(padded) == [{"tid": "t", "response": "pong"}]
    with pytest.raises(Closing) as closing:
        session.on_client(padded.replace('"pad": "', '"pad": "x'))
    assert closing.value.code == TOO_BIG


def test_a_flood_of_envelopes_is_closed_with_a_retry_after() -> None:
    now = [0.0]
    session = InboxSession("ada", Told(0), lambda: now[0])
    ping = json.dumps({"tid": "t", "action": "ping"})
    for _ in range(MAX_CLIENT_MESSAGES_PER_WINDOW):
        session.on_client(ping)
    now[0] = WINDOW_S  # a new window: its own count
    for _ in range(MAX_CLIENT_MESSAGES_PER_WINDOW):
        session.on_client(ping)
    with pytest.raises(Closing) as closing:
        session.on_client(ping)
    assert closing.value.code == POLICY_VIOLATION
    assert json.loads(closing.value.reason())["Retry-After"] == str(int(WINDOW_S))


def test_sockets_beyond_the_users_and_the_instances_limits_are_told_to_retry_later() -> None:
    api, pipeline = make_api(realtime_max_connections=2, realtime_max_connections_per_user=1)
    token = issue(api)
    grace = issue(api, "user_id:grace inbox:read:messages")
    bob = issue(api, "user_id:bob inbox:read:messages")
    with TestClient(pipeline.services.realtime.app()) as client:
        first, _ = open_subscribed(client, token, cid="a")
        with client.websocket_connect(socket_url(token, cid="b")) as ws:
            closed = closed_with(ws)
        assert closed.code == TRY_AGAIN_LATER
        assert json.loads(closed.reason)["Retry-After"] == "10"
        other, _ = open_subscribed(client, grace, "grace", cid="c")
        with client.websocket_connect(socket_url(bob, "bob", cid="d")) as ws:
            assert closed_with(ws).code == TRY_AGAIN_LATER  # the instance is full
        first.__exit__(None, None, None)
        again, _ = open_subscribed(client, token, cid="e")  # a place freed is taken again
        for socket in (other, again):
            socket.__exit__(None, None, None)


def test_a_reconnection_resumes_telling_what_changed_while_it_was_away(
    inbox: tuple[Pipeline, TestClient],
) -> None:
    pipeline, client = inbox
    api = pipeline.api
    token = issue(api)
    socket, ws = open_subscribed(client, token, cid="kept")
    before = send_inbox(api, pipeline)
    assert ws.receive_json()["messageId"] == before
    socket.__exit__(None, None, None)

    away = send_inbox(api, pipeline)
    assert as_client(api, token, "read", before).status == 200
    socket, ws = open_subscribed(client, token, cid="kept")
    told = [ws.receive_json(), ws.receive_json()]
    assert sorted((t["event"], t["messageId"]) for t in told) == sorted(
        [("message", away), ("read", before)]
    )
    ws.send_json({"tid": "p", "action": "ping"})
    assert ws.receive_json()["response"] == "pong"  # and nothing told twice
    socket.__exit__(None, None, None)

    # Another connection id starts from its own time: nothing of the past is told.
    socket, ws = open_subscribed(client, token, cid="fresh")
    ws.send_json({"tid": "p", "action": "ping"})
    assert ws.receive_json()["response"] == "pong"
    socket.__exit__(None, None, None)


def test_a_resume_point_is_kept_for_its_window_only() -> None:
    now = [0.0]
    connections = Connections(10, 10, lambda: now[0])
    told = connections.open("ws1", "ada", "c", 1000)
    told.changed_ms = 5000
    connections.close("ws1", "ada", "c", told)
    now[0] = RESUME_WINDOW_S
    assert connections.open("ws1", "ada", "c", 9000).changed_ms == 5000
    connections.close("ws1", "ada", "c", told)
    now[0] = 2 * RESUME_WINDOW_S + 1
    assert connections.open("ws1", "ada", "c", 9000).changed_ms == 9000
    # Another user's connection id resumes nothing of ada's.
    assert connections.open("ws1", "grace", "c", 7000).changed_ms == 7000


def test_a_subscription_with_a_tenant_is_told_of_that_tenants_messages_only(
    inbox: tuple[Pipeline, TestClient],
) -> None:
    pipeline, client = inbox
    api = pipeline.api
    with client.websocket_connect(socket_url(issue(api))) as ws:
        ws.send_json(
            {"tid": "s", "action": "subscribe", "data": {"channel": "ada", "accountId": "t2"}}
        )
        assert ws.receive_json()["response"] == "ack"
        for tenant in ("t1", "t2"):
            assert call(api, "PUT", f"/tenants/{tenant}", {"name": tenant}).status == 200
            message = {
                "to": {"user_id": "ada"},
                "content": {"title": tenant, "body": "b"},
                "routing": {"method": "single", "channels": ["inbox"]},
                "context": {"tenant_id": tenant},
            }
            assert call(api, "POST", "/send", {"message": message}).status == 202
            pipeline.drain()
        assert ws.receive_json()["data"]["title"] == "t2"


def test_socket_events_tell_each_field_that_moved() -> None:
    fresh = {"version": 0, "read_ms": None, "archived_ms": None, "opened_ms": None}
    assert socket_events(None, fresh) == ["message"]
    read = {**fresh, "version": 1, "read_ms": 5, "last_action": "read"}
    assert socket_events(fresh, read) == ["read"]
    assert socket_events(None, read) == ["read"]  # unseen before: its last action
    both = {**read, "version": 3, "read_ms": None, "archived_ms": 7, "last_action": "archive"}
    assert socket_events(read, both) == ["unread", "archive"]
    clicked = {**fresh, "version": 1, "clicked_ms": 9, "opened_ms": 9}
    assert socket_events(fresh, clicked) == ["opened", "clicked"]


def test_a_socket_behind_by_more_than_its_backlog_is_closed_to_resume() -> None:
    async def scenario() -> None:
        backlog = Backlog(2)
        backlog.put([("a", {})])
        backlog.put([("b", {})])
        assert await backlog.get() == [("a", {})]  # within the limit: served in order
        backlog.put([("c", {})])
        backlog.put([("d", {})])  # one more than it holds
        with pytest.raises(Closing) as closing:
            await backlog.get()
        assert (closing.value.code, closing.value.retry_after_s) == (TRY_AGAIN_LATER, 1)

    asyncio.run(scenario())


class EndingWatch:
    """The stores' own watch, whose listeners end by themselves once ``ended`` is set."""

    def __init__(self, watch: InboxWatch) -> None:
        self.watch = watch
        self.ended = False

    def listen(
        self, workspace: str, user_id: str, since_ms: int, on_changes: OnChanges
    ) -> Listening:
        listening = self.watch.listen(workspace, user_id, since_ms, on_changes)
        return Listening(listening.stop, lambda: not self.ended)


def test_a_socket_whose_listener_ended_is_closed_at_its_next_ping_and_resumes() -> None:
    api, pipeline = make_api()
    watch = EndingWatch(pipeline.adapters.inbox_watch)
    service = RealtimeService(
        pipeline.services.user_tokens,
        watch,
        Connections(10, 10, time.monotonic),
        now_ms,
        time.monotonic,
    )
    token = issue(api)
    with TestClient(service.app()) as client:
        socket, ws = open_subscribed(client, token, cid="kept")
        watch.ended = True
        message_id = send_inbox(api, pipeline)  # told, then the listener ends
        assert ws.receive_json()["messageId"] == message_id
        ws.send_json({"tid": "p", "action": "ping"})
        assert ws.receive_json() == {"tid": "p", "response": "pong"}
        closed = closed_with(ws)
        assert closed.code == TRY_AGAIN_LATER
        socket.__exit__(None, None, None)
        watch.ended = False
        socket, ws = open_subscribed(client, token, cid="kept")
        read = as_client(api, token, "read", message_id)
        assert read.status == 200
        assert ws.receive_json() == {"event": "read", "messageId": message_id}
        socket.__exit__(None, None, None)


def test_a_resumed_session_tells_nothing_twice_whatever_order_the_listener_gives() -> None:
    session = InboxSession("ada", Told(1000, {("a", 0)}), lambda: 0.0)
    session.on_client(json.dumps({"tid": "s", "action": "subscribe", "data": {"channel": "ada"}}))
    told_before = {"message_id": "m-a", "changed_ms": 1000, "version": 0}
    missed = {"message_id": "m-b", "changed_ms": 2000, "version": 0}
    told = session.on_changes([("b", missed), ("a", told_before)])
    assert [(t["event"], t["messageId"]) for t in told] == [("message", "m-b")]


def test_a_connection_id_is_kept_to_resume_only_up_to_its_limit() -> None:
    connections = Connections(10, 10, lambda: 0.0)
    for cid, kept in (("c" * MAX_CONNECTION_ID_CHARS, True), ("c" * 65, False), ("a b", False)):
        told = connections.open("ws1", "ada", cid, 1000)
        told.changed_ms = 5000
        connections.close("ws1", "ada", cid, told)
        assert (connections.open("ws1", "ada", cid, 9000).changed_ms == 5000) is kept
        connections.close("ws1", "ada", cid, Told(0))
