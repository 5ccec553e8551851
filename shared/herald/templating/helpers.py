"""The helpers templates may call, after Courier's documented set.

Each helper is a pure function of its evaluated arguments (positional, then the
``key=value`` hash) and the render's ``Budget``; it may raise ``HelperError`` with
a reason, which the interpreter reports with the call's line and column.
``lookup``, ``var`` and ``path`` read the data and live in the interpreter; they
are only named here.

The interpreter charges every call for its arguments' size; a helper whose work
grows faster than that (an item per list entry, a step per format token) charges
the rest itself, before doing it, and sizes what it builds before building it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from herald.locales import MAX_LOCALE_CHARS
from herald.templating import localized
from herald.templating.budget import MAPPED_CHARS_PER_UNIT, Budget
from herald.templating.errors import TemplateOutputTooLarge
from herald.templating.values import is_number, to_text, truthy


class HelperError(Exception):
    pass


HelperFn = Callable[[list[Any], dict[str, Any], Budget], Any]


@dataclass(frozen=True, slots=True)
class Helper:
    fn: HelperFn | None  # None: implemented by the interpreter
    min_args: int
    max_args: int | None
    # Given the message's locale as its ``locale`` option, unless the template gives one.
    localized: bool = False


# Block helpers are the interpreter's; their names may not be used as plain helpers.
BLOCK_HELPERS = frozenset({"if", "unless", "each", "with"})


# Inputs longer than any number or date needs are refused rather than parsed.
MAX_NUMBER_CHARS = 400
MAX_DATE_CHARS = 64
MAX_DATE_FORMAT_CHARS = 100
MAX_STYLE_CHARS = 16  # "decimal", "currency", "medium": a style or currency code is short


def _number(value: Any, what: str) -> float | int:
    if is_number(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) and len(value) > MAX_NUMBER_CHARS:
        raise HelperError(f"{what} must be a number, got {len(value)} characters")
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(parsed):
                return int(parsed) if parsed.is_integer() and "." not in value else parsed
    raise HelperError(f"{what} must be a number, got {to_text(value)!r}")


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    # Numbers (or numeric strings beside a number) compare as numbers, the rest as text,
    # so data that arrives as strings still compares as users expect.
    if is_number(a) or is_number(b):
        try:
            return _number(a, "operand"), _number(b, "operand")
        except HelperError:
            pass
    return to_text(a), to_text(b)


def _eq(args: list[Any], _: dict[str, Any], __: Budget) -> bool:
    a, b = _comparable(args[0], args[1])
    return bool(a == b)


def _ne(args: list[Any], hash_: dict[str, Any], budget: Budget) -> bool:
    return not _eq(args, hash_, budget)


def _order(op: str) -> HelperFn:
    def compare(args: list[Any], _: dict[str, Any], __: Budget) -> bool:
        a, b = _comparable(args[0], args[1])
        return bool({"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op])

    return compare


_CONDITION_OPS: dict[str, HelperFn] = {
    "==": _eq,
    "===": _eq,
    "!=": _ne,
    "!==": _ne,
    ">": _order("gt"),
    ">=": _order("gte"),
    "<": _order("lt"),
    "<=": _order("lte"),
}


def _condition(args: list[Any], hash_: dict[str, Any], budget: Budget) -> bool:
    op = args[1]
    if not isinstance(op, str) or op not in _CONDITION_OPS:
        raise HelperError(
            f"unsupported operator {to_text(op)!r}; use one of {' '.join(_CONDITION_OPS)}"
        )
    return bool(_CONDITION_OPS[op]([args[0], args[2]], hash_, budget))


def _text_fn(transform: Callable[[str], str]) -> HelperFn:
    def apply(args: list[Any], _: dict[str, Any], budget: Budget) -> str:
        text = to_text(args[0])
        budget.charge_text(len(text), MAPPED_CHARS_PER_UNIT)
        return transform(text)

    return apply


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sized_join(
    separator: str, items: list[Any] | tuple[Any, ...], budget: Budget, name: str
) -> str:
    """``separator.join`` of the items' texts, once their total size is known to fit."""
    if len(items) > budget.limits.max_items:
        raise HelperError(f"takes at most {budget.limits.max_items:,} items, got {len(items):,}")
    budget.charge(len(items))
    texts = [to_text(item) for item in items]
    size = sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0)
    if size > budget.limits.max_output_chars:
        raise TemplateOutputTooLarge(
            f"{name} would build a value of more than {budget.limits.max_output_chars} characters"
        )
    budget.charge_text(size)
    return separator.join(texts)


def _join(args: list[Any], hash_: dict[str, Any], budget: Budget) -> str:
    items, separator = args[0], args[1] if len(args) > 1 else hash_.get("separator", ", ")
    if not isinstance(items, list | tuple):
        return to_text(items)
    return _sized_join(to_text(separator), items, budget, "join")


def _concat(args: list[Any], _: dict[str, Any], budget: Budget) -> str:
    return _sized_join("", args, budget, "concat")


def _default(args: list[Any], _: dict[str, Any], __: Budget) -> Any:
    return args[1] if args[0] is None else args[0]


_MAX_SAFE_INTEGER = 2**53 - 1


def _arithmetic(op: str) -> HelperFn:
    def apply(args: list[Any], _: dict[str, Any], __: Budget) -> float | int:
        a, b = _number(args[0], "first argument"), _number(args[1], "second argument")
        result = a + b if op == "add" else a - b if op == "subtract" else a * b
        # Numbers stay JavaScript-sized, so nested arithmetic cannot build huge integers.
        if isinstance(result, int) and abs(result) > _MAX_SAFE_INTEGER:
            try:
                result = float(result)
            except OverflowError:
                raise HelperError("result is too large") from None
        if isinstance(result, float) and not math.isfinite(result):
            raise HelperError("result is not a finite number")
        return result

    return apply


def _length(args: list[Any], _: dict[str, Any], __: Budget) -> int:
    value = args[0]
    return len(value) if isinstance(value, str | list | tuple | Mapping) else 0


# What formatting one value by a locale costs, in fuel (Babel's work is bounded by the
# inputs' bounds: a number under 1e309, a style's pattern, a date in datetime's range).
LOCALIZED_FORMAT_UNITS = 80
# A locale's first use in a render, whose data may be read then (a few to 35 ms of CPU
# once per instance, outside the render's CPU time): at most 10 locales a render.
LOCALE_FIRST_USE_UNITS = 5_000
# The date tokens written from a locale's data.
_LOCALE_TOKENS = ("MMM", "ddd", "A")


def _text_option(hash_: dict[str, Any], name: str, limit: int) -> str | None:
    value = hash_.get(name)
    if value is None:
        return None
    text = to_text(value)
    if len(text) > limit:
        raise HelperError(f"{name} has at most {limit} characters, got {len(text)}")
    return text


def _locale_option(hash_: dict[str, Any], budget: Budget) -> str | None:
    """The message's locale, which the interpreter passes, or the template's own; one
    too long to be a locale is the default's, as an unknown one is. Loaded on its first
    use in a render (``_loaded``)."""
    value = hash_.get("locale")
    text = None if value is None else to_text(value)
    return _loaded(text if text is not None and len(text) <= MAX_LOCALE_CHARS else None, budget)


def _loaded(locale: str | None, budget: Budget) -> str | None:
    """``locale``, Babel's data for it read. Reading it is an instance's work, once, not
    the template's: its CPU time is not the render's. Its fuel bounds how many locales a
    render may name, and so what an instance may read for it."""
    if locale not in budget.locales:
        budget.charge(LOCALE_FIRST_USE_UNITS)
        budget.locales.add(locale)
        with budget.untimed():
            localized.load(locale)
    return locale


def _zone_option(hash_: dict[str, Any]) -> str | None:
    # Any text: one that names no time zone shows the moment in UTC.
    value = hash_.get("tz")
    return None if value is None else to_text(value)


def _format_number(args: list[Any], hash_: dict[str, Any], budget: Budget) -> str:
    value = _number(args[0], "value")
    decimals = args[1] if len(args) > 1 else hash_.get("decimals")
    places: int | None = None
    if decimals is not None:
        places_given = _number(decimals, "decimals")
        if not isinstance(places_given, int) or not 0 <= places_given <= localized.MAX_DECIMALS:
            raise HelperError(f"decimals must be a whole number from 0 to {localized.MAX_DECIMALS}")
        places = places_given
    budget.charge(LOCALIZED_FORMAT_UNITS)
    try:
        return localized.format_number(
            value,
            _locale_option(hash_, budget),
            style=_text_option(hash_, "style", MAX_STYLE_CHARS) or "decimal",
            decimals=places,
            currency=_text_option(hash_, "currency", MAX_STYLE_CHARS),
        )
    except localized.FormatError as exc:
        raise HelperError(str(exc)) from None


_Token = Callable[[datetime, str | None], str]
_DATE_TOKENS: tuple[tuple[str, _Token], ...] = (
    ("YYYY", lambda d, _: f"{d.year:04d}"),
    ("YY", lambda d, _: f"{d.year % 100:02d}"),
    ("MMMM", lambda d, loc: localized.month_name(d, "wide", loc)),
    ("MMM", lambda d, loc: localized.month_name(d, "abbreviated", loc)),
    ("MM", lambda d, _: f"{d.month:02d}"),
    ("M", lambda d, _: str(d.month)),
    ("DD", lambda d, _: f"{d.day:02d}"),
    ("D", lambda d, _: str(d.day)),
    ("dddd", lambda d, loc: localized.day_name(d, "wide", loc)),
    ("ddd", lambda d, loc: localized.day_name(d, "abbreviated", loc)),
    ("HH", lambda d, _: f"{d.hour:02d}"),
    ("H", lambda d, _: str(d.hour)),
    ("hh", lambda d, _: f"{(d.hour % 12) or 12:02d}"),
    ("h", lambda d, _: str((d.hour % 12) or 12)),
    ("mm", lambda d, _: f"{d.minute:02d}"),
    ("ss", lambda d, _: f"{d.second:02d}"),
    ("A", lambda d, loc: localized.day_period(d, loc)),
)


def _parse_date(value: Any) -> datetime:
    if is_number(value):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)  # epoch milliseconds
        except (OverflowError, OSError, ValueError) as exc:
            raise HelperError(f"{to_text(value)} is out of range as epoch milliseconds") from exc
    if isinstance(value, str):
        if len(value) > MAX_DATE_CHARS:
            raise HelperError(f"a date has at most {MAX_DATE_CHARS} characters, got {len(value)}")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise HelperError(f"{value!r} is not an ISO 8601 date") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise HelperError(f"expected an ISO 8601 date or epoch milliseconds, got {to_text(value)!r}")


def _format_date(args: list[Any], hash_: dict[str, Any], budget: Budget) -> str:
    if args[0] is None:
        return ""
    moment = _parse_date(args[0])
    pattern = to_text(args[1] if len(args) > 1 else hash_.get("format", "YYYY-MM-DD"))
    if len(pattern) > MAX_DATE_FORMAT_CHARS:
        raise HelperError(
            f"a format has at most {MAX_DATE_FORMAT_CHARS} characters, got {len(pattern)}"
        )
    named = pattern in localized.DATE_STYLES or any(t in pattern for t in _LOCALE_TOKENS)
    locale = _locale_option(hash_, budget) if named else None
    zone = _zone_option(hash_)
    if pattern in localized.DATE_STYLES:
        return _format_moment(moment, "date", pattern, locale, zone, budget)
    try:
        moment = localized.in_zone(moment, zone)
    except localized.FormatError as exc:
        raise HelperError(str(exc)) from None
    # A Python step per character, each trying every token; a name, the locale's data.
    budget.charge(len(pattern) * 2)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":  # [literal text], as in moment and date-fns
            end = pattern.find("]", i)
            if end > 0:
                out.append(pattern[i + 1 : end])
                i = end + 1
                continue
        for token, render in _DATE_TOKENS:
            if pattern.startswith(token, i):
                out.append(render(moment, locale))
                i += len(token)
                break
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _format_moment(
    moment: datetime,
    kind: Literal["date", "datetime", "time"],
    style: str,
    locale: str | None,
    zone: str | None,
    budget: Budget,
) -> str:
    budget.charge(LOCALIZED_FORMAT_UNITS)
    try:
        return localized.format_moment(moment, kind, style, locale, zone)
    except localized.FormatError as exc:
        raise HelperError(str(exc)) from None


def _moment_fn(kind: Literal["datetime", "time"]) -> HelperFn:
    def apply(args: list[Any], hash_: dict[str, Any], budget: Budget) -> str:
        if args[0] is None:
            return ""
        moment = _parse_date(args[0])
        style = to_text(args[1] if len(args) > 1 else hash_.get("style", "medium"))
        if len(style) > MAX_STYLE_CHARS:
            raise HelperError(f"style has at most {MAX_STYLE_CHARS} characters, got {len(style)}")
        locale = _locale_option(hash_, budget)
        zone = _zone_option(hash_)
        return _format_moment(moment, kind, style, locale, zone, budget)

    return apply


HELPERS: dict[str, Helper] = {
    # logic
    "eq": Helper(_eq, 2, 2),
    "ne": Helper(_ne, 2, 2),
    "gt": Helper(_order("gt"), 2, 2),
    "gte": Helper(_order("gte"), 2, 2),
    "lt": Helper(_order("lt"), 2, 2),
    "lte": Helper(_order("lte"), 2, 2),
    "and": Helper(lambda args, _, __: all(truthy(a) for a in args), 0, None),
    "or": Helper(lambda args, _, __: any(truthy(a) for a in args), 0, None),
    "not": Helper(lambda args, _, __: not truthy(args[0]), 1, 1),
    "condition": Helper(_condition, 3, 3),
    # text
    "uppercase": Helper(_text_fn(str.upper), 1, 1),
    "lowercase": Helper(_text_fn(str.lower), 1, 1),
    "capitalize": Helper(_text_fn(_capitalize), 1, 1),
    "trim": Helper(_text_fn(str.strip), 1, 1),
    "concat": Helper(_concat, 0, None),
    "join": Helper(_join, 1, 2),
    # data
    "default": Helper(_default, 2, 2),
    "fallback": Helper(_default, 2, 2),
    "length": Helper(_length, 1, 1),
    "lookup": Helper(None, 2, 2),
    "var": Helper(None, 1, 1),
    "path": Helper(None, 1, 1),
    "t": Helper(None, 1, 1),  # a translation (gettext's msgid -> msgstr), else the text
    # numbers and dates
    "add": Helper(_arithmetic("add"), 2, 2),
    "subtract": Helper(_arithmetic("subtract"), 2, 2),
    "multiply": Helper(_arithmetic("multiply"), 2, 2),
    "format-number": Helper(_format_number, 1, 2, localized=True),
    "format_number": Helper(_format_number, 1, 2, localized=True),
    "format-date": Helper(_format_date, 1, 2, localized=True),
    "format_date": Helper(_format_date, 1, 2, localized=True),
    "format-datetime": Helper(_moment_fn("datetime"), 1, 2, localized=True),
    "format_datetime": Helper(_moment_fn("datetime"), 1, 2, localized=True),
    "format-time": Helper(_moment_fn("time"), 1, 2, localized=True),
    "format_time": Helper(_moment_fn("time"), 1, 2, localized=True),
}
