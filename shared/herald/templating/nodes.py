"""The parsed template: immutable nodes, so one parse serves every render."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PathExpr:
    """``name.sub``, ``../name``, ``this``, ``@index``, ``@root.name``."""

    parts: tuple[str, ...]
    up: int  # how many ``../``
    data: bool  # an ``@`` variable: parts[0] names it
    original: str
    pos: int


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | int | float | bool | None
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    """A helper applied to arguments: ``{{helper a b key=c}}`` or ``(helper a b)``."""

    helper: str
    params: tuple[Expr, ...]
    hash: tuple[tuple[str, Expr], ...]
    pos: int


Expr = PathExpr | Literal | Call


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Output:
    expr: Expr
    escape: bool  # False for {{{ }}} and {{& }}
    pos: int


@dataclass(frozen=True, slots=True)
class Block:
    """``{{#name params}}program{{else}}inverse{{/name}}``.

    ``name`` is a block helper (if, unless, each, with) or ``section`` for a
    Mustache-style ``{{#path}}`` over data.
    """

    name: str
    params: tuple[Expr, ...]
    hash: tuple[tuple[str, Expr], ...]
    program: tuple[Node, ...]
    inverse: tuple[Node, ...]
    pos: int


Node = Text | Output | Block
