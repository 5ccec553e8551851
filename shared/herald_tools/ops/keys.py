"""API keys as operators see them: one line per key, never the key itself."""

from __future__ import annotations

import datetime

from herald.domain.testmode import TEST_NAMESPACE_SUFFIX, is_test_mode
from herald.store.base import ApiKeyRecord


def _time(ms: int | None) -> str:
    if ms is None:
        return "-"
    at = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def key_table(records: list[ApiKeyRecord]) -> str:
    """One line per key: id, hint, workspace, mode, created, revoked (never the key)."""
    rows = [("KEY ID", "HINT", "WORKSPACE", "MODE", "CREATED", "REVOKED")] + [
        (
            r.key_id,
            f"{r.hint}…" if r.hint else "-",
            r.workspace.removesuffix(TEST_NAMESPACE_SUFFIX),
            "test" if is_test_mode(r.workspace) else "live",
            _time(r.created_ms),
            _time(r.revoked_ms),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
