"""Compiling (parse once, cached) and rendering templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from herald.templating.errors import TemplateSyntaxError, TemplateTooLarge
from herald.templating.interpreter import Interpreter
from herald.templating.limits import DEFAULT_LIMITS, Limits
from herald.templating.nodes import Node, Output
from herald.templating.parser import parse

# Only small templates are cached, so a stream of distinct large ones cannot hold memory.
_CACHED_SOURCE_CHARS = 8 * 1024


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    nodes: tuple[Node, ...]

    def render(
        self,
        data: Mapping[str, Any],
        *,
        escape_html: bool = True,
        limits: Limits = DEFAULT_LIMITS,
    ) -> str:
        """Fills the template from ``data``.

        ``escape_html`` escapes ``{{value}}`` (never ``{{{value}}}``) as Handlebars
        does; plain-text outputs (SMS, push, the text part of an email) pass False.
        """
        return Interpreter(self.source, data, limits, escape=escape_html).render(self.nodes)


def compile_template(source: str, *, limits: Limits = DEFAULT_LIMITS) -> Template:
    """Parses ``source``; raises ``TemplateSyntaxError`` (with line and column),
    ``TemplateTooLarge`` or ``TemplateTooDeep``."""
    if len(source) > limits.max_source_chars:
        raise TemplateTooLarge(f"template is longer than {limits.max_source_chars} characters")
    if len(source) <= _CACHED_SOURCE_CHARS:
        return _compile_cached(source, limits.max_depth)
    return Template(source, parse(source, limits))


@lru_cache(maxsize=256)
def _compile_cached(source: str, max_depth: int) -> Template:
    return Template(source, parse(source, Limits(max_depth=max_depth)))


def evaluate(expression: str, data: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The value of one expression, e.g. ``data.plan`` or ``{{eq data.plan "pro"}}``.

    For conditions and loops over data (Elemental's ``if`` and ``loop``).
    """
    text = expression.strip()
    source = text if text.startswith("{{") else "{{" + text + "}}"
    template = compile_template(source, limits=limits)
    if len(template.nodes) != 1 or not isinstance(template.nodes[0], Output):
        raise TemplateSyntaxError("expected a single expression", 1, 1)
    interpreter = Interpreter(template.source, data, limits, escape=False)
    return interpreter.value(template.nodes[0].expr)


MAX_RENDERED_CHARS = 200_000


def render(text: str, data: Mapping[str, Any], limit: int = MAX_RENDERED_CHARS) -> str:
    """Drop-in for ``herald.domain.template.render``: plain text (no HTML escaping),
    output capped at ``limit`` characters (``TemplateOutputTooLarge``)."""
    limits = Limits(max_output_chars=limit)
    return compile_template(text, limits=limits).render(data, escape_html=False, limits=limits)
