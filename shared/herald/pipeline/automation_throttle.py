"""A throttle step's count: at most ``max_allowed`` runs per key and window, exactly.

Each window is one document (``automation_throttles/{digest}``) holding the runs it let
through, so a run's step asked again (a redelivered event) gets the same answer and
takes no second place; the runs it refused are kept too (up to ``MAX_REFUSALS_KEPT``,
then only counted). Windows are fixed, aligned on multiples of the period, and read at
the time the step's event was first made, which every redelivery carries. A window's
document expires through the TTL policy on ``expires_at`` a day after it ends.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from herald.store.documents import Document, DocumentStore

MAX_REFUSALS_KEPT = 1000
KEPT_AFTER_WINDOW_MS = 24 * 3600 * 1000


def window_path(key: str, period_ms: int, window_ms: int) -> tuple[str, str]:
    digest = hashlib.sha256(f"{period_ms}:{window_ms}:{key}".encode()).hexdigest()
    return ("automation_throttles", digest)


def throttle_key(scope: str, recipient: str | None, key: str | None) -> str:
    """What the runs counted together share: the recipient for ``user``, nothing more
    for ``global`` and ``dynamic``; and the step's own key."""
    return json.dumps([scope, recipient if scope == "user" else None, key or ""])


class Throttles:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def admit(
        self,
        workspace: str,
        key: str,
        period_ms: int,
        max_allowed: int,
        run_step: str,
        at_ms: int,
    ) -> bool:
        """Whether ``run_step`` (a run's step) passes in the window holding ``at_ms``."""
        window = at_ms - at_ms % period_ms
        admitted: list[bool] = []

        def counted(current: Document | None) -> Document | None:
            admitted.clear()
            doc: dict[str, Any] = dict(current) if current else {}
            passed: list[str] = list(doc.get("admitted", []))
            refused: list[str] = list(doc.get("refused", []))
            if run_step in passed or run_step in refused:
                admitted.append(run_step in passed)
                return None  # asked before: the same answer, nothing counted again
            if len(passed) < max_allowed:
                passed.append(run_step)
                admitted.append(True)
            else:
                if len(refused) < MAX_REFUSALS_KEPT:
                    refused.append(run_step)
                doc["refused_count"] = int(doc.get("refused_count", 0)) + 1
                admitted.append(False)
            ends = window + period_ms + KEPT_AFTER_WINDOW_MS
            return {
                **doc,
                "admitted": passed,
                "refused": refused,
                "window_ms": window,
                "expires_at": datetime.datetime.fromtimestamp(ends / 1000, tz=datetime.UTC),
            }

        self.documents.update(workspace, window_path(key, period_ms, window), counted)
        return admitted[0]
