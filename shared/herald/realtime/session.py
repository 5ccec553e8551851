"""One open inbox socket: what the client's envelopes are answered with, and what it is
told of its user's entries as they change.

The session is the protocol's state alone (no socket, no listener), so it is tested
step by step: the app feeds it the client's text and the listener's changes, and sends
what it returns.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from herald.api.inbox_graphql import inbox_node
from herald.domain.inbox import NEW_MESSAGE_EVENT, socket_events
from herald.realtime.protocol import (
    POLICY_VIOLATION,
    ClientMessage,
    Closing,
    config_response,
    message_event,
    parse_client_message,
    response,
)
from herald.store.inbox_watch import EntryChanges

# A flood is closed: the client sends a few envelopes a minute (subscribe, get-config,
# a ping when idle), so this many in one window is not the client.
MAX_CLIENT_MESSAGES_PER_WINDOW = 60
WINDOW_S = 60.0
# The entries a session remembers the state of (to tell what changed); the oldest seen is
# forgotten first, and told its last action when it changes again.
MAX_KNOWN_ENTRIES = 2000
_STATE_FIELDS = ("read_ms", "archived_ms", "opened_ms", "clicked_ms", "version")


@dataclass
class Told:
    """Where a connection's telling stands: the latest ``changed_ms`` told and the entry
    versions told at that time, from which a reconnection resumes."""

    changed_ms: int
    versions: set[tuple[str, int]] = field(default_factory=set)

    def add(self, key: str, entry: dict[str, Any]) -> None:
        at = int(entry.get("changed_ms") or 0)
        if at > self.changed_ms:
            self.changed_ms, self.versions = at, set()
        if at == self.changed_ms:
            self.versions.add((key, int(entry.get("version", 0))))

    def holds(self, key: str, entry: dict[str, Any]) -> bool:
        return (key, int(entry.get("version", 0))) in self.versions


class InboxSession:
    def __init__(
        self,
        user_id: str,
        told: Told,
        monotonic_s: Callable[[], float],
    ) -> None:
        self.user_id = user_id
        self.told = told
        # Where the reconnection this session resumes stood: fixed, since ``told`` moves
        # on with the first change told, whatever order the listener gives the rest in.
        self._resumed = Told(told.changed_ms, set(told.versions))
        self.monotonic_s = monotonic_s
        self.subscribed = False
        self.tenant_id: str | None = None
        self._known: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._window_start = monotonic_s()
        self._in_window = 0

    def on_client(self, text: str | None) -> list[dict[str, Any]]:
        """The answers to one envelope of the client's; Closing when the socket must end."""
        self._count_message()
        message = parse_client_message(text)
        return self._answer(message)

    def _count_message(self) -> None:
        now = self.monotonic_s()
        if now - self._window_start >= WINDOW_S:
            self._window_start, self._in_window = now, 0
        self._in_window += 1
        if self._in_window > MAX_CLIENT_MESSAGES_PER_WINDOW:
            raise Closing(
                POLICY_VIOLATION,
                f"more than {MAX_CLIENT_MESSAGES_PER_WINDOW} messages a minute",
                retry_after_s=int(WINDOW_S),
            )

    def _answer(self, message: ClientMessage) -> list[dict[str, Any]]:
        if message.action == "ping":
            return [response(message.tid, "pong")]
        if message.action == "get-config":
            return [config_response(message.tid)]
        if message.action == "subscribe":
            channel = message.data.get("channel")
            if channel != self.user_id:
                raise Closing(POLICY_VIOLATION, "channel: the token's user only")
            tenant = message.data.get("accountId")
            if tenant is not None and not isinstance(tenant, str):
                raise Closing(POLICY_VIOLATION, "accountId: a string")
            self.subscribed, self.tenant_id = True, tenant
            return [response(message.tid, "ack")]
        if message.action == "unsubscribe":
            self.subscribed = False
            return [response(message.tid, "ack")]
        return []  # pong: the client answering a ping; Herald sends none, so nothing to do

    def on_changes(self, changes: EntryChanges) -> list[dict[str, Any]]:
        """What the client is told of entries that changed (none while not subscribed)."""
        told: list[dict[str, Any]] = []
        for key, entry in changes:
            before = self._known.get(key)
            version = int(entry.get("version", 0))
            if before is not None and int(before.get("version", 0)) >= version:
                continue  # a listener's repeat, or older than what was told
            if before is None and self._resumed.holds(key, entry):
                continue  # told before the reconnection this session resumes
            self._remember(key, entry)
            if not self.subscribed or not self._admits(entry):
                continue
            message_id = str(entry.get("message_id", ""))
            for event in socket_events(before, entry):
                data = inbox_node(entry) if event == NEW_MESSAGE_EVENT else None
                told.append(message_event(event, message_id, data))
            self.told.add(key, entry)
        return told

    def _admits(self, entry: dict[str, Any]) -> bool:
        return self.tenant_id is None or entry.get("tenant_id") == self.tenant_id

    def _remember(self, key: str, entry: dict[str, Any]) -> None:
        self._known[key] = {name: entry.get(name) for name in _STATE_FIELDS}
        self._known.move_to_end(key)
        while len(self._known) > MAX_KNOWN_ENTRIES:
            self._known.popitem(last=False)
