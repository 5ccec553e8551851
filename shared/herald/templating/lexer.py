"""Splits a template into text and tags, and each tag into expression tokens.

Whitespace control happens here too: ``~`` beside a tag's braces strips the
whitespace on that side, and a block, else, close or comment tag alone on its line
takes the line with it (Handlebars' "standalone" rule), so templates render as in
Courier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from herald.templating.budget import Budget
from herald.templating.errors import TemplateSyntaxError

TokenKind = Literal[
    "ID",
    "LITERAL_ID",
    "SEP",
    "DATA",
    "STRING",
    "NUMBER",
    "BOOLEAN",
    "NULL",
    "OPEN",
    "CLOSE",
    "EQUALS",
]
TagKind = Literal["mustache", "raw", "block", "inverse", "close", "else", "comment"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    value: str
    pos: int


@dataclass(slots=True)
class TextChunk:
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Tag:
    kind: TagKind
    tokens: tuple[Token, ...]
    strip_before: bool
    strip_after: bool
    pos: int


# Handlebars' ID: anything but whitespace and its punctuation (so `$`, `-`, `:` and `?` are in).
_ID = re.compile(r"""[^\s!"#%&'()*+,./;<=>@\[\\\]^`{|}~]+""")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?=[\s~})]|$)")
_COMMENT_END = re.compile(r"(~?)\}\}")
_LONG_COMMENT_END = re.compile(r"--(~?)\}\}")
_STANDALONE_KINDS = frozenset({"block", "inverse", "close", "else", "comment"})
# Fuel of lexing and parsing a tag (the lexer's tag, the parser's node, the standalone
# and whitespace passes), and of each token in it.
TAG_UNITS = 12
TOKEN_UNITS = 6


def line_column(source: str, pos: int) -> tuple[int, int]:
    line = source.count("\n", 0, pos) + 1
    return line, pos - (source.rfind("\n", 0, pos) + 1) + 1


def syntax_error(source: str, pos: int, reason: str) -> TemplateSyntaxError:
    return TemplateSyntaxError(reason, *line_column(source, pos))


def tokenize(source: str, budget: Budget) -> list[TextChunk | Tag]:
    """The source's text and tags; fuel is spent as each tag and token is read."""
    budget.charge_text(len(source))
    items = _Lexer(source, budget).run()
    _strip_standalone_lines(items)
    _apply_tildes(items)
    return [item for item in items if not isinstance(item, TextChunk) or item.value]


class _Lexer:
    def __init__(self, source: str, budget: Budget) -> None:
        self.source = source
        self.budget = budget
        self.i = 0

    def run(self) -> list[TextChunk | Tag]:
        src = self.source
        items: list[TextChunk | Tag] = []
        text_start = 0
        while True:
            start = src.find("{{", self.i)
            if start < 0:
                items.append(TextChunk(src[text_start:], text_start))
                return items
            if start > 0 and src[start - 1] == "\\":
                # \{{ is a literal "{{", as in Handlebars.
                items.append(TextChunk(src[text_start : start - 1] + "{{", text_start))
                self.i = text_start = start + 2
                continue
            items.append(TextChunk(src[text_start:start], text_start))
            items.append(self._tag(start))
            text_start = self.i

    def _tag(self, start: int) -> Tag:
        self.budget.charge(TAG_UNITS)
        src = self.source
        i = start + 2
        strip_before = src.startswith("~", i)
        if strip_before:
            i += 1
        opener = src[i : i + 1]
        if opener == "!":
            return self._comment(start, i + 1, strip_before)
        if opener == ">":
            raise syntax_error(src, start, "partials ({{> name}}) are not supported")
        if src.startswith("#>", i) or src.startswith("#*", i):
            raise syntax_error(src, start, "partial blocks and decorators are not supported")
        kinds: dict[str, TagKind] = {
            "{": "raw",
            "&": "raw",
            "#": "block",
            "^": "inverse",
            "/": "close",
        }
        kind: TagKind = kinds.get(opener, "mustache")
        if kind != "mustache":
            i += 1
        self.i = i
        tokens = self._expression(start, triple=opener == "{")
        strip_after = src.startswith("~", self.i)
        if strip_after:
            self.i += 1
        closer = "}}}" if opener == "{" else "}}"
        if not src.startswith(closer, self.i):
            raise syntax_error(src, start, f"tag is not closed with {closer}")
        self.i += len(closer)
        if kind == "inverse" and not tokens:
            kind = "else"  # {{^}} is {{else}}
        elif kind == "mustache" and tokens and tokens[0] == Token("ID", "else", tokens[0].pos):
            kind = "else"
        elif not tokens:
            raise syntax_error(src, start, "empty tag: expected a name or a value")
        return Tag(kind, tuple(tokens), strip_before, strip_after, start)

    def _comment(self, start: int, i: int, strip_before: bool) -> Tag:
        long_form = self.source.startswith("--", i)
        end = (_LONG_COMMENT_END if long_form else _COMMENT_END).search(self.source, i)
        if end is None:
            raise syntax_error(self.source, start, "comment is never closed")
        self.i = end.end()
        return Tag("comment", (), strip_before, bool(end.group(1)), start)

    def _expression(self, start: int, *, triple: bool) -> list[Token]:
        src = self.source
        tokens: list[Token] = []
        while True:
            self.budget.charge(TOKEN_UNITS)
            while self.i < len(src) and src[self.i].isspace():
                self.i += 1
            i = self.i
            if i >= len(src):
                raise syntax_error(src, start, "tag is never closed")
            char = src[i]
            if src.startswith("}}", i) or src.startswith("~}}", i):
                return tokens
            if char in "\"'":
                tokens.append(self._string(i))
                continue
            after_separator = bool(tokens) and tokens[-1].kind == "SEP"
            number = None if after_separator else _NUMBER.match(src, i)  # list.1 is a segment
            if number:
                tokens.append(Token("NUMBER", number.group(), i))
                self.i = number.end()
                continue
            # After a name, "." separates; elsewhere "." and ".." name the context.
            follows_name = i > 0 and (src[i - 1] == "]" or _ID.match(src[i - 1]) is not None)
            if src.startswith("..", i) and not follows_name:
                tokens.append(Token("ID", "..", i))
                self.i = i + 2
                continue
            if (
                char == "."
                and not follows_name
                and (i + 1 >= len(src) or src[i + 1] in " \t\r\n/}~)")
            ):
                tokens.append(Token("ID", ".", i))
                self.i = i + 1
                continue
            simple: dict[str, TokenKind] = {
                ".": "SEP",
                "/": "SEP",
                "@": "DATA",
                "(": "OPEN",
                ")": "CLOSE",
                "=": "EQUALS",
            }
            if char in simple:
                tokens.append(Token(simple[char], char, i))
                self.i = i + 1
                continue
            if char == "[":
                end = src.find("]", i)
                if end < 0 or src.find("}}", i, end) >= 0:
                    raise syntax_error(src, i, "[ is never closed with ]")
                tokens.append(Token("LITERAL_ID", src[i + 1 : end], i))
                self.i = end + 1
                continue
            if char == "|":
                raise syntax_error(src, i, "block parameters (as |name|) are not supported")
            word = _ID.match(src, i)
            if not word:
                if triple and char == "}":
                    raise syntax_error(src, start, "tag is not closed with }}}")
                raise syntax_error(src, i, f"unexpected character {char!r}")
            value = word.group()
            keywords: dict[str, TokenKind] = {
                "true": "BOOLEAN",
                "false": "BOOLEAN",
                "null": "NULL",
                "undefined": "NULL",
            }
            tokens.append(Token(keywords.get(value, "ID"), value, i))
            self.i = word.end()

    def _string(self, i: int) -> Token:
        src = self.source
        quote = src[i]
        pieces: list[str] = []
        j = i + 1
        while True:  # from quote to quote, never a character at a time
            end = src.find(quote, j)
            if end < 0:
                raise syntax_error(src, i, "string is never closed")
            if end > j and src[end - 1] == "\\":  # \" is a quote inside the string
                pieces.append(src[j : end - 1] + quote)
                j = end + 1
                continue
            pieces.append(src[j:end])
            self.i = end + 1
            return Token("STRING", "".join(pieces), i)


def _strip_standalone_lines(items: list[TextChunk | Tag]) -> None:
    # Decided on the original texts, then cut: one text may end one standalone line and
    # start the next.
    original = [item.value if isinstance(item, TextChunk) else "" for item in items]
    keep = [[0, len(text)] for text in original]
    for index, item in enumerate(items):
        if not isinstance(item, Tag) or item.kind not in _STANDALONE_KINDS:
            continue
        # The lexer puts a text chunk (maybe empty) on each side of every tag.
        head, tail = original[index - 1], original[index + 1]
        line_start = head.rfind("\n") + 1
        if head[line_start:].strip(" \t") or (line_start == 0 and index > 1):
            continue
        rest = tail.lstrip(" \t")
        if rest.startswith("\r\n"):
            cut = len(tail) - len(rest) + 2
        elif rest.startswith("\n"):
            cut = len(tail) - len(rest) + 1
        elif not rest and index + 2 == len(items):
            cut = len(tail)
        else:
            continue
        keep[index - 1][1] = min(keep[index - 1][1], line_start)
        keep[index + 1][0] = max(keep[index + 1][0], cut)
    for index, item in enumerate(items):
        if isinstance(item, TextChunk):
            begin, end = keep[index]
            item.value = original[index][begin:end] if begin < end else ""


def _apply_tildes(items: list[TextChunk | Tag]) -> None:
    for index, item in enumerate(items):
        if not isinstance(item, Tag):
            continue
        if item.strip_before and index > 0 and isinstance(items[index - 1], TextChunk):
            previous = items[index - 1]
            assert isinstance(previous, TextChunk)
            previous.value = previous.value.rstrip()
        if item.strip_after and index + 1 < len(items) and isinstance(items[index + 1], TextChunk):
            following = items[index + 1]
            assert isinstance(following, TextChunk)
            following.value = following.value.lstrip()
