"""Running an API POST once per ``Idempotency-Key``: claim, run, store or release, replay.

``Api.handle`` hands every authenticated request to ``IdempotentPosts.run``;
requests that are not POSTs, or carry no key, run as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from herald.api.http import HttpRequest, HttpResponse, error_body
from herald.idempotency.base import (
    Claimed,
    IdempotencyKey,
    IdempotencyStore,
    InFlight,
    Mismatch,
    Replay,
    StoredResponse,
)
from herald.idempotency.exceptions import ClaimLost
from herald.idempotency.keys import (
    EXPIRATION_HEADER,
    KEY_HEADER,
    body_hash,
    expiration,
    idempotency_key,
)
from herald.observability import logs

REPLAYED_HEADER = "Idempotent-Replayed"
# The api function's timeout (Cloud Functions' default, 60 s): a holder past it is
# gone, so a retry may take the key over without running the request twice.
LEASE_S = 60.0
# The first request of a key usually answers within milliseconds.
RETRY_AFTER_S = 1
# Answers that say "try again" are never pinned to the key.
_RETRY_STATUSES = frozenset({409, 429})


def is_stored(status: int) -> bool:
    """2xx and 4xx answers are the request's outcome and replay; a 5xx, 409 or 429 is not."""
    return status < 500 and status not in _RETRY_STATUSES


class IdempotentPosts:
    def __init__(
        self,
        store: IdempotencyStore,
        *,
        clock: Callable[[], float] = time.time,
        lease_s: float = LEASE_S,
    ) -> None:
        self.store = store
        self.clock = clock
        self.lease_s = lease_s

    def run(
        self, request: HttpRequest, workspace: str, answer: Callable[[], HttpResponse]
    ) -> HttpResponse:
        """``answer`` produces the response (errors already mapped to statuses)."""
        key = idempotency_key(request.header(KEY_HEADER)) if request.method == "POST" else None
        if key is None:
            return answer()
        now = self.clock()
        scope = IdempotencyKey(workspace, request.method, request.path.rstrip("/") or "/", key)
        outcome = self.store.claim(
            scope,
            body_hash(request.body),
            now=now,
            lease_s=self.lease_s,
            expires_at=expiration(request.header(EXPIRATION_HEADER), now),
        )
        if isinstance(outcome, Replay):
            stored = outcome.response
            return HttpResponse(
                stored.status, stored.body, {**stored.headers, REPLAYED_HEADER: "true"}
            )
        if isinstance(outcome, InFlight):
            return HttpResponse(
                409,
                error_body(
                    "idempotency_error",
                    "a request with this Idempotency-Key is still in progress; retry shortly",
                ),
                {"Retry-After": str(RETRY_AFTER_S)},
            )
        if isinstance(outcome, Mismatch):
            return HttpResponse(
                422,
                error_body(
                    "idempotency_error",
                    "this Idempotency-Key was used with a different body; use a new key",
                    errors=[{"field": "body", "reason": "differs from the key's first request"}],
                ),
            )
        return self._run_claimed(outcome, answer)

    def _run_claimed(self, claim: Claimed, answer: Callable[[], HttpResponse]) -> HttpResponse:
        try:
            response = answer()
        except BaseException:
            self._release(claim)
            raise
        if not is_stored(response.status):
            self._release(claim)
            return response
        try:
            self.store.complete(
                claim, StoredResponse(response.status, response.body, dict(response.headers))
            )
        except ClaimLost:
            # The request outlived its lease and a retry took the key over.
            logs.warning("idempotency claim lost before completing", path=claim.key.path)
        except Exception as exc:
            # The request did happen: answer it, rather than a 500 that invites a rerun.
            logs.error("could not store the idempotent response", error=repr(exc))
        return response

    def _release(self, claim: Claimed) -> None:
        try:
            self.store.release(claim)
        except Exception as exc:
            # The lease still runs out, after which a retry may run.
            logs.error("could not release an idempotency claim", error=repr(exc))
