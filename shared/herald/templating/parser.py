"""Turns the lexer's text and tags into the node tree, checking helpers and nesting."""

from __future__ import annotations

from herald.templating.budget import Budget
from herald.templating.errors import TemplateSyntaxError, TemplateTooDeep
from herald.templating.helpers import BLOCK_HELPERS, HELPERS
from herald.templating.lexer import Tag, TextChunk, Token, line_column, syntax_error, tokenize
from herald.templating.limits import Limits
from herald.templating.nodes import Block, Call, Expr, Literal, Node, Output, PathExpr, Text

_ONE_ARGUMENT_BLOCKS = BLOCK_HELPERS


def parse(source: str, limits: Limits, budget: Budget) -> tuple[Node, ...]:
    return _Parser(source, tokenize(source, budget), limits).parse()


class _Parser:
    def __init__(self, source: str, items: list[TextChunk | Tag], limits: Limits) -> None:
        self.source = source
        self.items = items
        self.limits = limits
        self.i = 0

    def error(self, pos: int, reason: str) -> TemplateSyntaxError:
        return syntax_error(self.source, pos, reason)

    def parse(self) -> tuple[Node, ...]:
        nodes, stop = self._program(0)
        if stop is not None:
            what = (
                "{{else}} outside a block" if stop.kind == "else" else "closing tag opens no block"
            )
            raise self.error(stop.pos, what)
        return nodes

    def _program(self, depth: int) -> tuple[tuple[Node, ...], Tag | None]:
        nodes: list[Node] = []
        while self.i < len(self.items):
            item = self.items[self.i]
            self.i += 1
            if isinstance(item, TextChunk):
                nodes.append(Text(item.value))
            elif item.kind in ("close", "else"):
                return tuple(nodes), item
            elif item.kind in ("block", "inverse"):
                nodes.append(self._block(item, depth + 1))
            elif item.kind in ("mustache", "raw"):
                nodes.append(Output(self._output_expr(item), item.kind == "mustache", item.pos))
        return tuple(nodes), None

    def _check_depth(self, depth: int, pos: int) -> None:
        if depth > self.limits.max_depth:
            line, column = line_column(self.source, pos)
            raise TemplateTooDeep(
                f"line {line}, column {column}: nesting is deeper than {self.limits.max_depth}"
            )

    # -- blocks

    def _block(self, tag: Tag, depth: int) -> Block:
        self._check_depth(depth, tag.pos)
        name, params, hash_ = self._block_head(tag.tokens, tag.pos, depth)
        opened_as = name if name != "section" else _original(params[0])
        block = self._block_rest(name, params, hash_, tag, depth, opened_as)
        if tag.kind == "inverse":  # {{^name}}: the body shows when the value is empty
            return Block(
                block.name, block.params, block.hash, block.inverse, block.program, tag.pos
            )
        return block

    def _block_head(
        self, tokens: tuple[Token, ...], pos: int, depth: int
    ) -> tuple[str, tuple[Expr, ...], tuple[tuple[str, Expr], ...]]:
        head, params, hash_ = _Expressions(self, tokens, depth).call_parts()
        if not isinstance(head, PathExpr) or head.data or head.up or len(head.parts) != 1:
            if isinstance(head, PathExpr) and not params and not hash_:
                return "section", (head,), ()
            raise self.error(pos, "a block opens with a helper name or a path")
        name = head.parts[0]
        if name in _ONE_ARGUMENT_BLOCKS:
            if len(params) != 1:
                raise self.error(pos, f"#{name} takes exactly one argument, got {len(params)}")
            return name, params, hash_
        if name in HELPERS:
            raise self.error(pos, f"{name} is not a block helper")
        if params or hash_:
            raise self.error(pos, f"unknown block helper {name!r}")
        return "section", (head,), ()

    def _block_rest(
        self,
        name: str,
        params: tuple[Expr, ...],
        hash_: tuple[tuple[str, Expr], ...],
        tag: Tag,
        depth: int,
        opened_as: str,
    ) -> Block:
        program, stop = self._program(depth)
        if stop is None:
            raise self.error(tag.pos, f"{{{{#{opened_as}}}}} is never closed")
        inverse: tuple[Node, ...] = ()
        if stop.kind == "else":
            chained = stop.tokens[1:]  # {{else}} and {{^}} carry nothing more
            if chained:
                # {{else if x}}: a chained block that shares the outer block's close tag.
                self._check_depth(depth + 1, stop.pos)
                inner_name, inner_params, inner_hash = self._block_head(
                    chained, stop.pos, depth + 1
                )
                inverse = (
                    self._block_rest(
                        inner_name, inner_params, inner_hash, stop, depth + 1, opened_as
                    ),
                )
                return Block(name, params, hash_, program, inverse, tag.pos)
            inverse, stop = self._program(depth)
            if stop is None:
                raise self.error(tag.pos, f"{{{{#{opened_as}}}}} is never closed")
            if stop.kind == "else":
                raise self.error(stop.pos, f"a second {{{{else}}}} in {{{{#{opened_as}}}}}")
        closed = "".join(token.value for token in stop.tokens)
        if closed != opened_as:
            raise self.error(stop.pos, f"{{{{/{closed}}}}} does not close {{{{#{opened_as}}}}}")
        return Block(name, params, hash_, program, inverse, tag.pos)

    # -- output

    def _output_expr(self, tag: Tag) -> Expr:
        expressions = _Expressions(self, tag.tokens, 0)
        head, params, hash_ = expressions.call_parts()
        if not params and not hash_:
            return head
        return expressions.as_call(head, params, hash_, tag.pos)


class _Expressions:
    """Recursive descent over one tag's tokens: ``head param* (key=param)*``."""

    def __init__(self, parser: _Parser, tokens: tuple[Token, ...], depth: int) -> None:
        self.parser = parser
        self.tokens = tokens
        self.depth = depth
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def call_parts(
        self, closing: bool = False
    ) -> tuple[Expr, tuple[Expr, ...], tuple[tuple[str, Expr], ...]]:
        first = self.peek()
        if first is None:
            raise self.parser.error(self.tokens[-1].pos if self.tokens else 0, "expected a value")
        head = self.param()
        params: list[Expr] = []
        hash_: list[tuple[str, Expr]] = []
        while (token := self.peek()) is not None:
            if token.kind == "CLOSE":
                if closing:
                    break
                raise self.parser.error(token.pos, "unexpected )")
            following = self.peek(1)
            if token.kind == "ID" and following is not None and following.kind == "EQUALS":
                self.i += 2
                hash_.append((token.value, self.param()))
                continue
            if hash_:
                raise self.parser.error(
                    token.pos, "positional arguments must come before key=value ones"
                )
            params.append(self.param())
        return head, tuple(params), tuple(hash_)

    def as_call(
        self, head: Expr, params: tuple[Expr, ...], hash_: tuple[tuple[str, Expr], ...], pos: int
    ) -> Call:
        if not isinstance(head, PathExpr) or head.data or head.up or len(head.parts) != 1:
            raise self.parser.error(pos, "only a helper name can take arguments")
        name = head.parts[0]
        helper = HELPERS.get(name)
        if helper is None:
            if name in BLOCK_HELPERS:
                raise self.parser.error(pos, f"{name} is a block helper: write {{{{#{name} ...}}}}")
            raise self.parser.error(pos, f"unknown helper {name!r}")
        count = len(params)
        if count < helper.min_args or (helper.max_args is not None and count > helper.max_args):
            expected = (
                str(helper.min_args)
                if helper.min_args == helper.max_args
                else f"at least {helper.min_args}"
                if helper.max_args is None
                else f"{helper.min_args} to {helper.max_args}"
            )
            raise self.parser.error(pos, f"{name} takes {expected} arguments, got {count}")
        return Call(name, params, hash_, pos)

    def param(self) -> Expr:
        token = self.peek()
        if token is None:
            raise self.parser.error(self.tokens[-1].pos, "expected a value")
        kind = token.kind
        if kind == "OPEN":
            self.parser._check_depth(self.depth + 1, token.pos)
            self.i += 1
            self.depth += 1
            head, params, hash_ = self.call_parts(closing=True)
            closer = self.peek()
            if closer is None or closer.kind != "CLOSE":
                raise self.parser.error(token.pos, "( is never closed")
            self.i += 1
            self.depth -= 1
            return self.as_call(head, params, hash_, token.pos)
        if kind in ("STRING", "NUMBER", "BOOLEAN", "NULL"):
            self.i += 1
            return Literal(_literal(token), token.pos)
        if kind in ("ID", "LITERAL_ID", "DATA"):
            return self.path()
        raise self.parser.error(token.pos, f"unexpected {token.value!r}")

    def path(self) -> PathExpr:
        start = self.peek()
        assert start is not None
        data = start.kind == "DATA"
        if data:
            self.i += 1
        segments: list[Token] = []
        while True:
            token = self.peek()
            if token is None or token.kind not in ("ID", "LITERAL_ID"):
                raise self.parser.error(start.pos, "a path needs a name after . or / or @")
            segments.append(token)
            self.i += 1
            separator = self.peek()
            if separator is None or separator.kind != "SEP":
                break
            self.i += 1
        up = 0
        parts: list[str] = []
        for index, segment in enumerate(segments):
            plain = segment.kind == "ID"
            if plain and segment.value == ".." and not parts:
                if index != up:
                    raise self.parser.error(segment.pos, "../ may only start a path")
                up += 1
            elif plain and segment.value in ("this", ".") and not parts and index == up:
                continue
            elif plain and segment.value in ("..", ".", "this"):
                raise self.parser.error(segment.pos, f"{segment.value} may only start a path")
            else:
                parts.append(segment.value)
        if data and (up or not parts):
            raise self.parser.error(start.pos, "@ must be followed by a variable name")
        original = self.parser.source[start.pos : segments[-1].pos + len(segments[-1].value)]
        return PathExpr(tuple(parts), up, data, original, start.pos)


def _original(expr: Expr) -> str:
    return expr.original if isinstance(expr, PathExpr) else ""


def _literal(token: Token) -> str | int | float | bool | None:
    if token.kind == "STRING":
        return token.value
    if token.kind == "BOOLEAN":
        return token.value == "true"
    if token.kind == "NULL":
        return None
    if "." in token.value:
        return float(token.value)
    return int(token.value) if len(token.value) <= 20 else float(token.value)
