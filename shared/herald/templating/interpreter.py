"""Walks the node tree against data, within the sandbox's limits.

No template text is ever compiled or evaluated as Python: nodes are interpreted,
and values come only from the data (see ``values.member``). The limits are
enforced here, inside the loop, because signal-based timeouts do not work in the
worker threads functions-framework runs handlers in.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from herald.templating.errors import (
    TemplateOutputTooLarge,
    TemplateRenderError,
    TemplateTimeout,
)
from herald.templating.helpers import HELPERS, HelperError
from herald.templating.lexer import line_column
from herald.templating.limits import Limits
from herald.templating.nodes import Block, Call, Expr, Literal, Node, Output, PathExpr, Text
from herald.templating.values import escape_html, member, to_text, truthy

# Reading the thread's CPU clock is a system call: look every few steps.
_CLOCK_EVERY = 32


@dataclass(slots=True)
class Frame:
    context: Any
    parent: Frame | None
    variables: dict[str, Any] = field(default_factory=dict)  # @index, @key, @first, @last


class Interpreter:
    def __init__(self, source: str, root: Any, limits: Limits, *, escape: bool) -> None:
        self.source = source
        self.root = root
        self.limits = limits
        self.escape = escape
        self.out: list[str] = []
        self.size = 0
        self.steps = 0
        self.deadline = time.thread_time() + limits.cpu_seconds

    def render(self, nodes: tuple[Node, ...]) -> str:
        self.program(nodes, Frame(self.root, None))
        return "".join(self.out)

    def value(self, expr: Expr) -> Any:
        return self.eval(expr, Frame(self.root, None))

    # -- limits

    def tick(self) -> None:
        self.steps += 1
        if self.steps % _CLOCK_EVERY == 0 and time.thread_time() > self.deadline:
            raise TemplateTimeout(
                f"rendering took more than {self.limits.cpu_seconds * 1000:g} ms of CPU time"
            )

    def emit(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limits.max_output_chars:
            raise TemplateOutputTooLarge(
                f"renders to more than {self.limits.max_output_chars} characters"
            )
        self.out.append(text)

    # -- nodes

    def program(self, nodes: tuple[Node, ...], frame: Frame) -> None:
        for node in nodes:
            self.tick()
            if isinstance(node, Text):
                self.emit(node.value)
            elif isinstance(node, Output):
                text = to_text(self.eval(node.expr, frame))
                self.emit(escape_html(text) if node.escape and self.escape else text)
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
        if isinstance(value, Mapping):
            entries: list[tuple[Any, Any]] = list(value.items())
        elif isinstance(value, list | tuple):
            entries = list(enumerate(value))
        else:
            entries = []
        if not entries:
            self.program(node.inverse, frame)
            return
        last = len(entries) - 1
        for index, (key, item) in enumerate(entries):
            self.tick()
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
        self.tick()
        args = [self.eval(param, frame) for param in call.params]
        options = {key: self.eval(expr, frame) for key, expr in call.hash}
        name = call.helper
        if name == "lookup":
            return member(args[0], to_text(args[1]))
        if name in ("var", "path"):
            return self.dotted(to_text(args[0]))
        fn = HELPERS[name].fn
        assert fn is not None
        try:
            result = fn(args, options)
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
