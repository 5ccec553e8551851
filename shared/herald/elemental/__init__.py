"""Courier Elemental content: models, validation with field paths, per-channel rendering.

parse_elemental(message["content"])            # ValidationFailed naming each field
render_elemental(content, "email", data, brand={"name": "Acme"})
# -> {"subject": ..., "text": ..., "html": ...}
"""

from herald.elemental.models import Brand, BrandColors, ElementalContent
from herald.elemental.parse import is_elemental, parse_elemental
from herald.elemental.render import CHANNELS, ElementalRenderError, render_elemental

__all__ = [
    "CHANNELS",
    "Brand",
    "BrandColors",
    "ElementalContent",
    "ElementalRenderError",
    "is_elemental",
    "parse_elemental",
    "render_elemental",
]
