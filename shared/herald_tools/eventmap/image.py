"""The rendered event map: an SVG drawn by Graphviz from the generated DOT source.

Graphviz is optional (Debian: ``apt-get install graphviz``): the SVG is committed,
and it records the SHA-256 of the DOT source it was drawn from in a comment, so
the staleness test compares that hash with the source the code generates now and
never needs the renderer or compares image bytes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

SOURCE_PATH = "docs/event-map.dot"
IMAGE_PATH = "docs/event-map.svg"
_HASH_COMMENT = re.compile(r"<!-- herald-event-map-source-sha256: ([0-9a-f]{64}) -->")


class RendererMissing(RuntimeError):
    """Graphviz's ``dot`` is not installed here."""


def source_hash(dot_source: str) -> str:
    return hashlib.sha256(dot_source.encode()).hexdigest()


def drawn_from(svg: str) -> str | None:
    """The hash of the DOT source an SVG was rendered from, if it records one."""
    found = _HASH_COMMENT.search(svg)
    return found[1] if found else None


def render_svg(dot_source: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise RendererMissing(
            f"{IMAGE_PATH} needs Graphviz to be redrawn: apt-get install graphviz "
            "(or brew install graphviz), then ./herald generate"
        )
    svg = subprocess.run(
        [dot, "-Tsvg"], input=dot_source, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    mark = f"<!-- herald-event-map-source-sha256: {source_hash(dot_source)} -->\n"
    opening = svg.find("<svg")
    return svg[:opening] + mark + svg[opening:]
