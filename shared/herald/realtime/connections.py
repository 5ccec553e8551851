"""What one real-time instance holds: its open sockets (bounded in all and per user) and,
for a while after each closes, where its telling stood, so that the client's reconnection
(the same connection id, ``cid``) resumes from there instead of from the moment it
reconnects: what changed in between is told, nothing twice.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable

from herald.realtime.protocol import TRY_AGAIN_LATER, Closing
from herald.realtime.session import Told

# How long a closed connection's place is kept, and how many are: a reconnection after
# longer, or to another instance, starts from its own time (the client's next fetch
# shows what it missed).
RESUME_WINDOW_S = 300.0
MAX_RESUME_POINTS = 10_000
# How long a client refused for capacity waits before it tries again (courier-js reads it).
RETRY_AFTER_S = 10
MAX_CONNECTION_ID_CHARS = 64
_CONNECTION_ID = re.compile(r"[A-Za-z0-9_-]+")

Owner = tuple[str, str, str]  # workspace, user, connection id


class Connections:
    def __init__(
        self,
        max_connections: int,
        max_per_user: int,
        monotonic_s: Callable[[], float],
    ) -> None:
        self.max_connections = max_connections
        self.max_per_user = max_per_user
        self.monotonic_s = monotonic_s
        self._lock = threading.Lock()
        self._open = 0
        self._per_user: Counter[tuple[str, str]] = Counter()
        self._closed: OrderedDict[Owner, tuple[Told, float]] = OrderedDict()

    @property
    def open_count(self) -> int:
        return self._open

    def open(self, workspace: str, user_id: str, connection_id: str, now_ms: int) -> Told:
        """Takes a place for the socket, with where its telling resumes; Closing when the
        instance or the user has no place left."""
        with self._lock:
            if self._open >= self.max_connections:
                raise Closing(TRY_AGAIN_LATER, "this instance is full", RETRY_AFTER_S)
            if self._per_user[(workspace, user_id)] >= self.max_per_user:
                raise Closing(TRY_AGAIN_LATER, "this user has too many sockets", RETRY_AFTER_S)
            self._open += 1
            self._per_user[(workspace, user_id)] += 1
            kept = self._closed.pop((workspace, user_id, connection_id), None)
        if kept is not None and self.monotonic_s() - kept[1] <= RESUME_WINDOW_S:
            return kept[0]
        return Told(now_ms)

    def close(self, workspace: str, user_id: str, connection_id: str, told: Told) -> None:
        with self._lock:
            self._open -= 1
            self._per_user[(workspace, user_id)] -= 1
            if self._per_user[(workspace, user_id)] <= 0:
                del self._per_user[(workspace, user_id)]
            # The client's own id, from the URL: its length is checked before the pattern.
            if len(connection_id) <= MAX_CONNECTION_ID_CHARS and _CONNECTION_ID.fullmatch(
                connection_id
            ):
                owner = (workspace, user_id, connection_id)
                self._closed[owner] = (told, self.monotonic_s())
                self._closed.move_to_end(owner)
                while len(self._closed) > MAX_RESUME_POINTS:
                    self._closed.popitem(last=False)
