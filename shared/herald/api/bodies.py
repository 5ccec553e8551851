"""Reading a request body no larger than its route takes, refusing the rest unread.

A declared ``Content-Length`` over the route's limit is refused before a byte of
the body is read; a body without one (chunked) is read up to one byte past the
limit and refused there. Either way memory and time stay bounded by the limit,
whatever a caller sends, and nothing is hashed or parsed first.
"""

from __future__ import annotations

from typing import Protocol

from herald.errors import PayloadTooLarge

KIB = 1024
# What a route takes unless it declares otherwise: every route has a limit.
DEFAULT_MAX_BODY = 64 * KIB
_CHUNK = 64 * KIB


class BodyStream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def size_text(limit: int) -> str:
    return f"{limit // KIB} KiB" if limit % KIB == 0 else f"{limit} bytes"


def too_large(limit: int, declared: int | None = None) -> PayloadTooLarge:
    said = f" (Content-Length {declared})" if declared is not None else ""
    return PayloadTooLarge.of(
        "body", f"is larger than {size_text(limit)}{said}, the most this route takes"
    )


def read_body(stream: BodyStream, declared_length: int | None, limit: int) -> bytes:
    """The body, read only if it fits ``limit``; ``PayloadTooLarge`` otherwise."""
    if declared_length is not None and declared_length > limit:
        raise too_large(limit, declared_length)
    wanted = limit + 1 if declared_length is None else declared_length
    parts: list[bytes] = []
    got = 0
    while got < wanted:
        part = stream.read(min(_CHUNK, wanted - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    if got > limit:
        raise too_large(limit)
    return b"".join(parts)
