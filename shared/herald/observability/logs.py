"""Structured JSON logs, one object a line, in Cloud Logging's field names.

Each line carries the current span's trace fields, so the Logs Explorer shows
it inside its trace. Addresses are masked (``mask``) and message bodies are
never logged.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from herald.observability.google_cloud import project
from herald.observability.tracing import correlation


def mask(address: str) -> str:
    """``ada@example.com`` -> ``a**@example.com``; a URL keeps only its host."""
    if "://" in address:
        scheme, _, rest = address.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0].rsplit('@', 1)[-1]}/…"
    local, at, domain = address.partition("@")
    if not at:
        return "*" * min(len(address), 8)
    return f"{local[:1]}{'*' * max(len(local) - 1, 2)}@{domain}"


def log(severity: str, message: str, **fields: Any) -> None:
    record = {"severity": severity, "message": message, **correlation(project()), **fields}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def warning(message: str, **fields: Any) -> None:
    log("WARNING", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)
