"""How data values print, test and compare, following Handlebars (JavaScript) rules.

Lookups go only into mappings (by key) and lists (by index, or ``length``): never
``getattr``, so a template reaches nothing but the data it was given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_ESCAPED = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#x27;",
    "`": "&#x60;",
    "=": "&#x3D;",
}
_ESCAPES = str.maketrans(_ESCAPED)


def escape_html(text: str) -> str:
    return text.translate(_ESCAPES)


def escaped_length(text: str) -> int:
    """``len(escape_html(text))``, counted without building it."""
    return len(text) + sum(
        text.count(char) * (len(escaped) - 1) for char, escaped in _ESCAPED.items()
    )


def member(value: Any, key: str) -> Any:
    if type(value) is dict:  # the common case, ahead of the slower ABC check
        return value.get(key)
    if isinstance(value, Mapping):
        return value.get(key) if isinstance(key, str) and key in value else None
    if isinstance(value, list | tuple | str):
        if key == "length":
            return len(value)
        if isinstance(value, list | tuple) and key.isdigit() and len(key) < 10:
            index = int(key)
            return value[index] if index < len(value) else None
    return None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_text(value: Any) -> str:
    """As Herald has always printed values: missing, maps and lists print empty."""
    if type(value) is str:
        return value
    if value is None or isinstance(value, Mapping | list | tuple):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def truthy(value: Any) -> bool:
    """JavaScript truthiness, plus Handlebars' rule that an empty list is false."""
    if value is None or value is False:
        return False
    if is_number(value):
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


# Where the data carries the translations of the message's locale, for the ``t`` helper:
# never sent on as the push or webhook's data.
TRANSLATIONS_KEY = "$translations"
# Where the data carries the message's locale, which the number and date helpers format by.
LOCALE_KEY = "$locale"
_PRIVATE_KEYS = frozenset({TRANSLATIONS_KEY, LOCALE_KEY})


def public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data as a push or webhook carries it: without the translations and locale."""
    return {key: value for key, value in data.items() if key not in _PRIVATE_KEYS}
