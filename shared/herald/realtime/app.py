"""The real-time service: the WebSocket Courier's inbox client opens (its
``apiUrls.inbox.webSocket``), an ASGI app served by uvicorn on Cloud Run.

Each socket is one user's, by the user token in its URL (``auth``, with
``inbox:read:messages``, for the ``userId`` it names). Once the client subscribes, a
listener on that user's entries (``store.inbox_watch``) tells it of each change; the
listener's thread hands changes to the socket's task through a bounded queue. Whatever
goes wrong with one socket closes it with a code, never the instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from herald.engagement.user_tokens import INBOX_READ, BadUserToken, UserToken, UserTokens
from herald.realtime.connections import Connections
from herald.realtime.protocol import (
    POLICY_VIOLATION,
    TRY_AGAIN_LATER,
    UNSUPPORTED_DATA,
    WIRE_VERSION,
    Closing,
)
from herald.realtime.session import InboxSession
from herald.store.inbox_watch import EntryChanges, InboxWatch, Listening

log = logging.getLogger(__name__)

# Batches of changes a socket may have waiting to be sent: a client that reads slower
# than its inbox changes is closed and reconnects, resuming where its telling stood.
MAX_PENDING_CHANGES = 256


class RealtimeService:
    def __init__(
        self,
        tokens: UserTokens | None,
        watch: InboxWatch,
        connections: Connections,
        now_ms: Callable[[], int],
        monotonic_s: Callable[[], float],
    ) -> None:
        self.tokens = tokens
        self.watch = watch
        self.connections = connections
        self.now_ms = now_ms
        self.monotonic_s = monotonic_s

    def app(self) -> Starlette:
        return Starlette(routes=[WebSocketRoute("/", self.serve)])

    def authenticate(self, query: Any) -> tuple[UserToken, str]:
        """The token in the URL and the user it covers; Closing when there is none."""
        if self.tokens is None:
            raise Closing(POLICY_VIOLATION, "the inbox is off: no user token secret is set")
        if query.get("iwpv", WIRE_VERSION) != WIRE_VERSION:
            raise Closing(UNSUPPORTED_DATA, f"iwpv: Herald speaks {WIRE_VERSION}")
        try:
            token = self.tokens.verify(query.get("auth") or "", self.now_ms() // 1000)
            user = token.user(query.get("userId") or None)
            token.require(INBOX_READ)
        except BadUserToken as exc:
            raise Closing(POLICY_VIOLATION, f"unauthorized: {exc}") from exc
        return token, user

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        connection_id = websocket.query_params.get("cid") or ""
        try:
            token, user = self.authenticate(websocket.query_params)
            told = self.connections.open(token.workspace, user, connection_id, self.now_ms())
        except Closing as closing:
            await websocket.close(closing.code, closing.reason())
            return
        session = InboxSession(user, told, self.monotonic_s)
        try:
            await self._converse(websocket, session, token.workspace)
        finally:
            self.connections.close(token.workspace, user, connection_id, session.told)

    async def _converse(self, websocket: WebSocket, session: InboxSession, workspace: str) -> None:
        loop = asyncio.get_running_loop()
        backlog = Backlog(MAX_PENDING_CHANGES)
        sending = asyncio.Lock()
        listening: Listening | None = None

        def from_listener(changes: EntryChanges) -> None:  # the listener's thread
            loop.call_soon_threadsafe(backlog.put, changes)

        async def send(envelopes: list[dict[str, Any]]) -> None:
            async with sending:
                for envelope in envelopes:
                    await websocket.send_json(envelope)

        async def read() -> None:
            nonlocal listening
            while True:
                received = await websocket.receive()
                if received["type"] == "websocket.disconnect":
                    return
                await send(session.on_client(received.get("text")))
                if listening is not None and not listening.alive():
                    # The client pings while idle, so a listener that ended is noticed
                    # within its interval; reconnecting resumes where telling stood.
                    raise Closing(TRY_AGAIN_LATER, "the inbox's listener ended", 1)
                if session.subscribed and listening is None:
                    since = session.told.changed_ms
                    listening = await asyncio.to_thread(
                        self.watch.listen, workspace, session.user_id, since, from_listener
                    )
                elif not session.subscribed and listening is not None:
                    listening.stop()
                    listening = None

        async def tell() -> None:
            while True:
                await send(session.on_changes(await backlog.get()))

        tasks = [asyncio.create_task(read()), asyncio.create_task(tell())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        except Closing as closing:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(closing.code, closing.reason())
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            if listening is not None:
                listening.stop()


class Backlog:
    """The changes a socket has yet to send, at most ``limit`` batches: past that the
    socket is behind, and ``get`` ends it (Closing) so that the client reconnects and
    resumes, rather than the instance holding ever more for it."""

    def __init__(self, limit: int) -> None:
        self._queue: asyncio.Queue[EntryChanges] = asyncio.Queue(limit)
        self._behind = False

    def put(self, changes: EntryChanges) -> None:
        try:
            self._queue.put_nowait(changes)
        except asyncio.QueueFull:
            self._behind = True

    async def get(self) -> EntryChanges:
        if self._behind:
            raise Closing(TRY_AGAIN_LATER, "the inbox changed faster than it was read", 1)
        return await self._queue.get()
