"""Compiling (parse once, cached) and rendering templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from herald.templating.budget import Budget
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
    # What parsing it cost: charged to each budget that compiles it, cached or not, so
    # a render's fuel does not depend on what an instance happens to have cached.
    parse_fuel: int = 0

    def render(
        self,
        data: Mapping[str, Any],
        *,
        escape_html: bool = True,
        limits: Limits = DEFAULT_LIMITS,
        budget: Budget | None = None,
    ) -> str:
        """Fills the template from ``data``.

        ``escape_html`` escapes ``{{value}}`` (never ``{{{value}}}``) as Handlebars
        does; plain-text outputs (SMS, push, the text part of an email) pass False.
        ``limits`` caps the output; ``budget`` (a new one from ``limits`` if none is
        given) is the fuel and CPU time this render may spend, perhaps shared.
        """
        spending = budget if budget is not None else Budget(limits)
        return Interpreter(self.source, data, limits, spending, escape=escape_html).render(
            self.nodes
        )


def compile_template(
    source: str, *, limits: Limits = DEFAULT_LIMITS, budget: Budget | None = None
) -> Template:
    """Parses ``source``, spending fuel from ``budget`` (a new one if none is given);
    raises ``TemplateSyntaxError`` (with line and column), ``TemplateTooLarge``,
    ``TemplateTooDeep`` or, for a source too costly to parse, ``TemplateOutOfFuel``."""
    if len(source) > limits.max_source_chars:
        raise TemplateTooLarge(f"template is longer than {limits.max_source_chars} characters")
    spending = budget if budget is not None else Budget(limits)
    if len(source) <= _CACHED_SOURCE_CHARS:
        template = _compile_cached(source, limits.max_depth)
        spending.charge(template.parse_fuel)
        return template
    before = spending.used
    nodes = parse(source, limits, spending)
    return Template(source, nodes, spending.used - before)


@lru_cache(maxsize=256)
def _compile_cached(source: str, max_depth: int) -> Template:
    # A source this small cannot cost more than a default budget to parse.
    alone = Budget(Limits(max_depth=max_depth))
    nodes = parse(source, alone.limits, alone)
    return Template(source, nodes, alone.used)


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """One expression, e.g. ``data.plan`` or ``{{eq data.plan "pro"}}``, for its value
    rather than its text (Elemental's ``if`` and ``loop``)."""

    source: str
    expr: Expr

    def evaluate(
        self,
        data: Mapping[str, Any],
        *,
        limits: Limits = DEFAULT_LIMITS,
        budget: Budget | None = None,
    ) -> Any:
        spending = budget if budget is not None else Budget(limits)
        return Interpreter(self.source, data, limits, spending, escape=False).value(self.expr)


def compile_expression(
    expression: str, *, limits: Limits = DEFAULT_LIMITS, budget: Budget | None = None
) -> CompiledExpression:
    text = expression.strip()
    source = text if text.startswith("{{") else "{{" + text + "}}"
    nodes = compile_template(source, limits=limits, budget=budget).nodes
    if len(nodes) != 1 or not isinstance(nodes[0], Output):
        raise TemplateSyntaxError("expected one expression, like data.name or {{eq a b}}", 1, 1)
    return CompiledExpression(source, nodes[0].expr)


def evaluate(expression: str, data: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    budget = Budget(limits)
    return compile_expression(expression, limits=limits, budget=budget).evaluate(
        data, limits=limits, budget=budget
    )


MAX_RENDERED_CHARS = 200_000


def render(
    text: str,
    data: Mapping[str, Any],
    limit: int = MAX_RENDERED_CHARS,
    budget: Budget | None = None,
) -> str:
    """Plain text (no HTML escaping), output capped at ``limit`` characters
    (``TemplateOutputTooLarge``); parsing and rendering spend one ``budget``."""
    limits = Limits(max_output_chars=limit)
    spending = budget if budget is not None else Budget(limits)
    template = compile_template(text, limits=limits, budget=spending)
    return template.render(data, escape_html=False, limits=limits, budget=spending)
