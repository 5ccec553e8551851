"""How an event version's JSON Schema file is named, wherever it is published or released."""

from __future__ import annotations


def schema_file(name: str, version: int) -> str:
    return f"{name}.v{version}.json"
