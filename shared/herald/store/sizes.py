"""A document's size as Firestore counts it, and the bound Herald keeps below its 1 MiB.

JSON length is no guide: an integer costs 8 bytes stored and can be 2 in JSON
(``0,``), so 256 KiB of JSON can be 1 MiB stored. Firestore's rules
(https://firebase.google.com/docs/firestore/storage-size): a string is its UTF-8
bytes + 1; an integer, float or timestamp 8; a boolean or null 1; bytes their
length; a map the sum of its keys (as strings) and values; an array the sum of its
values; a document its name (each path segment + 1, plus 16), its fields, and 32.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from herald.errors import PayloadTooLarge

FIRESTORE_MAX_DOCUMENT_BYTES = 1_048_576
# At most what Firestore counts for one byte of a value's JSON (UTF-8): an integer is 8
# bytes stored and can be 1 in JSON; everything else costs less stored than in JSON. A
# value whose JSON is an eighth of a bound fits it, and needs no count.
STORED_BYTES_PER_JSON_BYTE = 8
# What Herald stores in one document at most, leaving room for fields it adds later.
MAX_STORED_BYTES = 1_000_000

# The resource a collection holds, as an API caller knows it (the 413 names it).
_RESOURCES = {
    "profiles": "profile",
    "lists": "list",
    "subscriptions": "subscription",
    "templates": "template",
    "brands": "brand",
    "topics": "topic",
    "preferences": "preferences",
    "webhook_endpoints": "webhook endpoint",
    "messages": "message",
}


def _text_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass")) + 1


def value_size(value: Any) -> int:
    """Bytes ``value`` takes as a Firestore field value (iteratively: any depth)."""
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += _text_size(item)
        elif isinstance(item, bool) or item is None:
            total += 1
        elif isinstance(item, int | float | datetime.datetime):
            total += 8
        elif isinstance(item, bytes):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(_text_size(str(key)) for key in item)
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        else:
            total += _text_size(str(item))
    return total


def document_size(path: Sequence[str], document: dict[str, Any]) -> int:
    name = sum(_text_size(segment) for segment in path) + 16
    return name + value_size(document) + 32


def resource_of(path: Sequence[str]) -> str:
    collection = path[-2] if len(path) >= 2 else "document"
    return _RESOURCES.get(collection, collection)


def check_document_size(
    path: Sequence[str], document: dict[str, Any], limit: int = MAX_STORED_BYTES
) -> None:
    """413 naming the resource when ``document`` would be stored larger than ``limit``."""
    size = document_size(path, document)
    if size > limit:
        raise PayloadTooLarge.of(
            resource_of(path),
            f"would be stored as {size:,} bytes; Herald stores at most {limit:,} in one"
            " document (Firestore's limit is 1 MiB)",
        )
