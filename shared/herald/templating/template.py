"""Compiling (parse once, cached) and rendering templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from herald.templating.errors import TemplateSyntaxError, TemplateTooLarge
from herald.templating.interpreter import Interpreter
from herald.templating.limits import DEFAULT_LIMITS, Limits
from herald.templating.nodes import Expr, Node, Output
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


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """One expression, e.g. ``data.plan`` or ``{{eq data.plan "pro"}}``, for its value
    rather than its text (Elemental's ``if`` and ``loop``)."""

    source: str
    expr: Expr

    def evaluate(self, data: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
        return Interpreter(self.source, data, limits, escape=False).value(self.expr)


def compile_expression(expression: str, *, limits: Limits = DEFAULT_LIMITS) -> CompiledExpression:
    text = expression.strip()
    source = text if text.startswith("{{") else "{{" + text + "}}"
    nodes = compile_template(source, limits=limits).nodes
    if len(nodes) != 1 or not isinstance(nodes[0], Output):
        raise TemplateSyntaxError("expected one expression, like data.name or {{eq a b}}", 1, 1)
    return CompiledExpression(source, nodes[0].expr)


def evaluate(expression: str, data: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    return compile_expression(expression, limits=limits).evaluate(data, limits=limits)


MAX_RENDERED_CHARS = 200_000


def render(text: str, data: Mapping[str, Any], limit: int = MAX_RENDERED_CHARS) -> str:
    """Plain text (no HTML escaping),
    output capped at ``limit`` characters (``TemplateOutputTooLarge``)."""
    limits = Limits(max_output_chars=limit)
    return compile_template(text, limits=limits).render(data, escape_html=False, limits=limits)
