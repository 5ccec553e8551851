"""Walks the node tree against data, within the sandbox's limits.

No template text is ever compiled or evaluated as Python: nodes are interpreted,
and values come only from the data (see ``values.member``). The limits are
enforced here, inside the loop, because signal-based timeouts do not work in the
worker threads functions-framework runs handlers in: every step spends fuel from
the render's ``Budget``, and every value is sized before it is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from herald.templating.budget import MAPPED_CHARS_PER_UNIT, Budget
from herald.templating.errors import TemplateOutputTooLarge, TemplateRenderError
from herald.templating.helpers import HELPERS, HelperError
from herald.templating.lexer import line_column
from herald.templating.limits import Limits
from herald.templating.nodes import Block, Call, Expr, Literal, Node, Output, PathExpr, Text
from herald.templating.values import (
    LOCALE_KEY,
    TRANSLATIONS_KEY,
    escape_html,
    escaped_length,
    member,
    to_text,
    truthy,
)


@dataclass(slots=True)
class Frame:
    context: Any
    parent: Frame | None
    variables: dict[str, Any] = field(default_factory=dict)  # @index, @key, @first, @last


class Interpreter:
    def __init__(
        self, source: str, root: Any, limits: Limits, budget: Budget, *, escape: bool
    ) -> None:
        self.source = source
        self.root = root
        self.limits = limits
        self.budget = budget
        self.escape = escape
        self.out: list[str] = []
        self.size = 0

    def render(self, nodes: tuple[Node, ...]) -> str:
        self.program(nodes, Frame(self.root, None))
        return "".join(self.out)

    def value(self, expr: Expr) -> Any:
        return self.eval(expr, Frame(self.root, None))

    # -- limits

    def emit(self, text: str, escape: bool = False) -> None:
        if escape:
            # Escaping can make a text six times longer: sized before it is built.
            self.budget.charge_text(len(text), MAPPED_CHARS_PER_UNIT)
            self.grow(escaped_length(text))
            text = escape_html(text)
        else:
            self.grow(len(text))
        self.out.append(text)

    def grow(self, chars: int) -> None:
        self.size += chars
        if self.size > self.limits.max_output_chars:
            raise TemplateOutputTooLarge(
                f"renders to more than {self.limits.max_output_chars} characters"
            )

    # -- nodes

    def program(self, nodes: tuple[Node, ...], frame: Frame) -> None:
        for node in nodes:
            self.budget.charge(1)
            if isinstance(node, Text):
                self.emit(node.value)
            elif isinstance(node, Output):
                text = to_text(self.eval(node.expr, frame))
                self.emit(text, escape=node.escape and self.escape)
            else:
                self.block(node, frame)

    def block(self, node: Block, frame: Frame) -> None:
        value = self.eval(node.params[0], frame)
        name = node.name
        if name == "if" or name == "unless":
            shown = truthy(value) or (value == 0 and self.hash_true(node, "includeZero", frame))
            chosen = node.program if shown == (name == "if") else node.inverse
            self.program(chosen, frame)
        elif name == "with":
            if truthy(value):
                self.program(node.program, Frame(value, frame, frame.variables))
            else:
                self.program(node.inverse, frame)
        elif name == "each" or isinstance(value, list | tuple):  # or a section over a list
            self.each(node, value, frame)
        elif value is True:
            self.program(node.program, frame)
        elif truthy(value):
            self.program(node.program, Frame(value, frame, frame.variables))
        else:
            self.program(node.inverse, frame)

    def each(self, node: Block, value: Any, frame: Frame) -> None:
        # Iterated in place, never copied: each item costs fuel as it comes.
        entries: Any = None
        if isinstance(value, Mapping):
            entries = value.items()
        elif isinstance(value, list | tuple):
            entries = enumerate(value)
        if entries is None or not value:
            self.program(node.inverse, frame)
            return
        last = len(value) - 1
        for index, (key, item) in enumerate(entries):
            self.budget.charge(1)
            variables = {
                **frame.variables,
                "index": index,
                "key": key,
                "first": index == 0,
                "last": index == last,
            }
            self.program(node.program, Frame(item, frame, variables))

    def hash_true(self, node: Block, key: str, frame: Frame) -> bool:
        return any(name == key and truthy(self.eval(expr, frame)) for name, expr in node.hash)

    # -- expressions

    def eval(self, expr: Expr, frame: Frame) -> Any:
        if isinstance(expr, PathExpr):
            return self.resolve(expr, frame)
        if isinstance(expr, Literal):
            return expr.value
        return self.call(expr, frame)

    def resolve(self, path: PathExpr, frame: Frame) -> Any:
        parts = path.parts
        if path.data:
            value = self.root if parts[0] == "root" else frame.variables.get(parts[0])
            parts = parts[1:]
        else:
            target: Frame | None = frame
            for _ in range(path.up):
                target = target.parent if target else None
            if target is None:
                return None
            value = target.context
        for part in parts:
            value = member(value, part)
            if value is None:
                return None
        return value

    def call(self, call: Call, frame: Frame) -> Any:
        self.budget.charge(1 + len(call.params) + len(call.hash))
        # One argument at a time, each sized as it arrives: a call never holds more
        # text than a value may have, however many subexpressions build it.
        given = 0
        args: list[Any] = []
        options: dict[str, Any] = {}
        for key, expr in (*((None, param) for param in call.params), *call.hash):
            value = self.eval(expr, frame)
            if isinstance(value, str):
                given += len(value)
                if given > self.limits.max_output_chars:
                    raise TemplateOutputTooLarge(
                        f"{call.helper} was given more than "
                        f"{self.limits.max_output_chars} characters"
                    )
            if key is None:
                args.append(value)
            else:
                options[key] = value
        self.budget.charge_text(given)
        name = call.helper
        if name == "lookup":
            return member(args[0], to_text(args[1]))
        if name in ("var", "path"):
            return self.dotted(to_text(args[0]))
        if name == "t":
            text = to_text(args[0])
            translated = member(member(self.root, TRANSLATIONS_KEY), text)
            return translated if isinstance(translated, str) and translated else text
        helper = HELPERS[name]
        if helper.localized and "locale" not in options:
            options["locale"] = member(self.root, LOCALE_KEY)
        fn = helper.fn
        assert fn is not None
        try:
            result = fn(args, options, self.budget)
        except HelperError as exc:
            line, column = line_column(self.source, call.pos)
            raise TemplateRenderError(f"{name}: {exc}", line, column) from None
        if isinstance(result, str) and len(result) > self.limits.max_output_chars:
            raise TemplateOutputTooLarge(
                f"{name} built a value of more than {self.limits.max_output_chars} characters"
            )
        return result

    def dotted(self, path: str) -> Any:
        # Courier's var/path helpers take the path as a string, from the data's root.
        value = self.root
        for part in path.split("."):
            value = member(value, part)
            if value is None:
                return None
        return value
