"""``{{variable}}`` substitution, Courier style: dotted paths, missing -> empty."""

import re
from collections.abc import Mapping
from typing import Any

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\s*\}\}")


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


MAX_RENDERED_CHARS = 200_000


class RenderedTooLarge(ValueError):
    pass


def render(text: str, data: Mapping[str, Any], limit: int = MAX_RENDERED_CHARS) -> str:
    """Fills ``text``; raises ``RenderedTooLarge`` as soon as the output passes ``limit``.

    Checked while rendering, so a few placeholders of a large value cannot blow up memory.
    """
    produced = len(text)

    def substitute(match: re.Match[str]) -> str:
        nonlocal produced
        value = _lookup(data, match.group(1))
        if value is None or isinstance(value, (dict, list)):
            replacement = ""
        elif isinstance(value, bool):
            replacement = "true" if value else "false"
        else:
            replacement = str(value)
        produced += len(replacement) - len(match.group(0))
        if produced > limit:
            raise RenderedTooLarge(f"renders to more than {limit} characters")
        return replacement

    if produced > limit:
        raise RenderedTooLarge(f"renders to more than {limit} characters")
    return _VARIABLE.sub(substitute, text)
