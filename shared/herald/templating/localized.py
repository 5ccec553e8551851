"""Numbers and dates as a locale writes them, with Babel (CLDR's data).

The locale is the message's (``to.locale``, else the profile's), which the
interpreter hands to these helpers, or the ``locale=`` a template gives. A locale
Babel does not know falls back as translations do, ``pt-BR`` -> ``pt`` -> the
default: a message is never lost to its locale. Babel is imported on first use, so
a render that formats nothing never pays for it.
"""

from __future__ import annotations

import copy
import decimal
import functools
import re
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from herald.locales import check_locale, fallback_chain

if TYPE_CHECKING:
    from babel import Locale

DEFAULT_LOCALE = "en"
NUMBER_STYLES = ("decimal", "percent", "currency")
DATE_STYLES = ("short", "medium", "long", "full")
# JavaScript's numbers end below 1.8e308: a number in a template needs no more digits.
MAX_MAGNITUDE = 10**309
MAX_DECIMALS = 20  # as JavaScript's toFixed
# Enough digits for any such number and its decimals: Babel rounds in this context.
_PRECISION = 309 + MAX_DECIMALS + 1
MAX_TIME_ZONE_CHARS = 64  # IANA's longest name has 32
_TIME_ZONE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_CURRENCY = re.compile(r"[A-Z]{3}")
# Locales resolved at once: a template may name any, the cache stays this size.
_LOCALES_CACHED = 256


class FormatError(ValueError):
    """An argument no locale can format; its text names the argument."""


@functools.lru_cache(maxsize=_LOCALES_CACHED)
def babel_locale(tag: str | None) -> Locale:
    """Babel's locale nearest ``tag`` on the fallback chain, else the default's."""
    from babel import Locale, UnknownLocaleError

    try:
        checked = check_locale(tag)
    except ValueError:
        checked = None
    for candidate in fallback_chain(checked) if checked else []:
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(DEFAULT_LOCALE)


def load(tag: str | None) -> None:
    """Babel imported and the data of ``tag``'s locale read, as the first format by it
    would (the next ones reuse both)."""
    from babel import dates  # noqa: F401  (the date formats' module, imported once)

    babel_locale(tag).decimal_formats  # noqa: B018  (Babel reads a locale's data on first use)


def time_zone(name: str | None, default: tzinfo) -> tzinfo:
    """The IANA zone ``name``; ``default`` without one; UTC for a name that is none."""
    if name is None:
        return default
    if len(name) > MAX_TIME_ZONE_CHARS or not _TIME_ZONE.fullmatch(name):
        return UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found (a KeyError), a folder, a bad key
        return UTC


def format_number(
    value: float | int,
    locale: str | None,
    style: str = "decimal",
    decimals: int | None = None,
    currency: str | None = None,
) -> str:
    if abs(value) >= MAX_MAGNITUDE:
        raise FormatError("value must be less than 1e309 in magnitude")
    if decimals is not None and not 0 <= decimals <= MAX_DECIMALS:
        raise FormatError(f"decimals must be a whole number from 0 to {MAX_DECIMALS}")
    if style not in NUMBER_STYLES:
        raise FormatError(f"style must be one of {', '.join(NUMBER_STYLES)}")
    if (style == "currency") != (currency is not None):
        raise FormatError("currency (an ISO 4217 code, e.g. 'EUR') goes with style='currency'")
    if currency is not None and not _CURRENCY.fullmatch(currency):
        raise FormatError("currency must be an ISO 4217 code of 3 capital letters, e.g. 'EUR'")
    where = babel_locale(locale)
    if style == "currency":
        pattern = where.currency_formats["standard"]
    elif style == "percent":
        pattern = where.percent_formats[None]
    else:
        pattern = where.decimal_formats[None]
    if decimals is not None:
        pattern = copy.copy(pattern)
        pattern.frac_prec = (decimals, decimals)
    # A float as it prints (0.1, not its binary expansion), as JavaScript shows it.
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    with decimal.localcontext(prec=_PRECISION):
        return str(
            pattern.apply(number, where, currency=currency, currency_digits=decimals is None)
        )


def format_moment(
    moment: datetime,
    kind: Literal["date", "datetime", "time"],
    style: str,
    locale: str | None,
    zone: str | None,
) -> str:
    """``moment`` in one of Babel's styles, in the time zone ``zone`` (else its own)."""
    from babel import dates

    if style not in DATE_STYLES:
        raise FormatError(f"style must be one of {', '.join(DATE_STYLES)}")
    local = in_zone(moment, zone)
    where = babel_locale(locale)
    if kind == "date":
        return dates.format_date(local.date(), style, locale=where)
    if kind == "time":
        return dates.format_time(local, style, tzinfo=local.tzinfo, locale=where)
    return dates.format_datetime(local, style, tzinfo=local.tzinfo, locale=where)


def in_zone(moment: datetime, zone: str | None) -> datetime:
    """``moment`` in the time zone ``zone`` (else its own), in datetime's range."""
    try:
        return moment.astimezone(time_zone(zone, moment.tzinfo or UTC))
    except (OverflowError, ValueError):
        raise FormatError("the date is out of range in that time zone") from None


def month_name(moment: datetime, width: Literal["wide", "abbreviated"], locale: str | None) -> str:
    from babel import dates

    return str(dates.get_month_names(width, "format", babel_locale(locale))[moment.month])


def day_name(moment: datetime, width: Literal["wide", "abbreviated"], locale: str | None) -> str:
    from babel import dates

    return str(dates.get_day_names(width, "format", babel_locale(locale))[moment.weekday()])


def day_period(moment: datetime, locale: str | None) -> str:
    from babel import dates

    periods = dates.get_period_names("abbreviated", "format", babel_locale(locale))
    return str(periods["am" if moment.hour < 12 else "pm"])
