"""The number and date helpers format by the message's locale, with its fallback chain,
and bound every input at its limit: magnitude, decimals, styles, time zones, dates."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from herald.locales import MAX_LOCALE_CHARS
from herald.templating import (
    LOCALE_KEY,
    TemplateOutOfFuel,
    TemplateRenderError,
    TemplateTimeout,
    localized,
    public_data,
    render,
)
from herald.templating.helpers import MAX_STYLE_CHARS
from herald.templating.limits import DEFAULT_LIMITS
from herald.templating.localized import MAX_TIME_ZONE_CHARS, babel_locale
from tests.unit.test_api import call, make_api

NBSP = "\xa0"
MOMENT = "2026-03-04T15:06:07+01:00"


def fill(source: str, locale: str | None = None, **data: Any) -> str:
    return render(source, {**data, **({LOCALE_KEY: locale} if locale else {})})


@pytest.mark.parametrize(
    ("locale", "number", "percent", "euros", "long_date"),
    [
        (None, "1,234.50", "25%", "€9.50", "March 4, 2026"),
        ("pt-BR", "1.234,50", "25%", f"€{NBSP}9,50", "4 de março de 2026"),
        ("de", "1.234,50", f"25{NBSP}%", f"9,50{NBSP}€", "4. März 2026"),
    ],
)
def test_numbers_and_dates_are_written_as_the_messages_locale_writes_them(
    locale: str | None, number: str, percent: str, euros: str, long_date: str
) -> None:
    assert fill("{{format-number 1234.5 2}}", locale) == number
    assert fill('{{format_number 0.25 style="percent"}}', locale) == percent
    assert fill('{{format-number 9.5 style="currency" currency="EUR"}}', locale) == euros
    assert fill('{{format-date d "long"}}', locale, d=MOMENT) == long_date


def test_the_default_locale_keeps_the_helpers_plain_output() -> None:
    assert fill("{{format-number 1234567.891}} {{format-number n decimals=0}}", n="9999.6") == (
        "1,234,567.891 10,000"
    )
    assert fill("{{format-number 1234.5 style='currency' currency='JPY'}}") == "¥1,234"


def test_date_tokens_name_months_days_and_periods_in_the_locale() -> None:
    assert fill("{{format-date d 'dddd, D [de] MMMM'}}", "pt-BR", d=MOMENT) == (
        "quarta-feira, 4 de março"
    )
    assert fill("{{format-date d 'ddd D MMM h A'}}", None, d=MOMENT) == "Wed 4 Mar 3 PM"


def test_datetime_and_time_take_a_style_and_a_time_zone() -> None:
    assert fill("{{format-time d 'short'}}", "pt-BR", d=MOMENT) == "15:06"
    assert fill("{{format-time d 'short' tz='America/Sao_Paulo'}}", "pt-BR", d=MOMENT) == "11:06"
    assert fill("{{format_datetime d style='short' tz='UTC'}}", "de", d=MOMENT) == (
        "04.03.26, 14:06"
    )
    assert fill("{{format-date d 'YYYY-MM-DD HH:mm' tz='Asia/Tokyo'}}", d=MOMENT) == (
        "2026-03-04 23:06"
    )
    assert fill("{{format-datetime d}}", d=None) == ""


def test_an_unknown_locale_falls_back_along_its_chain_and_never_fails() -> None:
    assert str(babel_locale("pt-XX")) == "pt"
    assert str(babel_locale("zz")) == "en"
    assert str(babel_locale("not a locale")) == "en"
    assert str(babel_locale(None)) == "en"
    assert fill("{{format-number 1234.5 2}}", "pt-XX") == "1.234,50"
    assert fill("{{format-number 1234.5 2}}", "zz-ZZ") == "1,234.50"
    # A template's own locale wins; one longer than any locale is the default's.
    assert fill("{{format-number 1234.5 2 locale='de'}}", "en") == "1.234,50"
    at_limit = "de" + "-xxxxxxxx" * 3 + "-xxxxx"
    assert len(at_limit) == MAX_LOCALE_CHARS
    assert fill("{{format-number 1234.5 2 locale=l}}", "pt", l=at_limit) == "1.234,50"
    assert fill("{{format-number 1234.5 2 locale=l}}", "pt", l=at_limit + "x") == "1,234.50"


def test_an_unknown_time_zone_shows_the_moment_in_utc() -> None:
    for zone in ("Mars/Olympus", "../../etc/passwd", "Europe", "x" * (MAX_TIME_ZONE_CHARS + 1)):
        assert fill("{{format-time d 'short' tz=z}}", "de", d=MOMENT, z=zone) == "14:06"


def test_a_number_is_formatted_below_1e309_and_refused_from_it() -> None:
    # JavaScript's largest number is 1.8e308: every number a template may hold.
    nines = fill("{{format-number n}}", n=10**309 - 1)
    assert nines.replace(",", "") == "9" * 309
    assert fill("{{format-number n}}", n=-(10**309) + 1).startswith("-999,")
    for n in (10**309, -(10**309), 10**4000):
        with pytest.raises(TemplateRenderError, match="less than 1e309 in magnitude"):
            fill("{{format-number n}}", n=n)


def test_decimals_are_bounded_at_20() -> None:
    assert fill("{{format-number 1 20}}") == "1." + "0" * 20
    with pytest.raises(TemplateRenderError, match="decimals must be a whole number from 0 to 20"):
        fill("{{format-number 1 21}}")
    with pytest.raises(TemplateRenderError, match="decimals must be a whole number"):
        fill("{{format-number 1 1.5}}")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{format-number 1 style='money'}}", "style must be one of decimal, percent, currency"),
        ("{{format-number 1 style=s}}", f"style has at most {MAX_STYLE_CHARS} characters"),
        ("{{format-number 1 style='currency'}}", "currency .* goes with style='currency'"),
        ("{{format-number 1 currency='EUR'}}", "currency .* goes with style='currency'"),
        ("{{format-number 1 style='currency' currency='eur'}}", "ISO 4217 code"),
        ("{{format-datetime d 'longest'}}", "style must be one of short, medium, long, full"),
        ("{{format-time d s}}", f"style has at most {MAX_STYLE_CHARS} characters"),
    ],
)
def test_styles_and_currencies_are_checked(source: str, reason: str) -> None:
    with pytest.raises(TemplateRenderError, match=reason):
        fill(source, d=MOMENT, s="s" * (MAX_STYLE_CHARS + 1))


def test_a_style_at_its_length_limit_is_read_as_a_style() -> None:
    with pytest.raises(TemplateRenderError, match="style must be one of"):
        fill("{{format-number 1 style=s}}", s="s" * MAX_STYLE_CHARS)


def test_a_date_must_stay_in_datetimes_range_in_the_time_zone_asked_for() -> None:
    last, first = "9999-12-31T23:00:00+00:00", "0001-01-01T05:00:00+00:00"
    assert fill("{{format-date d 'long' tz='UTC'}}", d=last) == "December 31, 9999"
    assert fill("{{format-date d 'long' tz='America/New_York'}}", d=first) == "January 1, 1"
    with pytest.raises(TemplateRenderError, match="out of range in that time zone"):
        fill("{{format-date d 'long' tz='America/New_York'}}", d="0001-01-01T04:00:00+00:00")
    with pytest.raises(TemplateRenderError, match="out of range in that time zone"):
        fill("{{format-date d 'long' tz='Pacific/Kiritimati'}}", d=last)
    with pytest.raises(TemplateRenderError, match="out of range in that time zone"):
        fill("{{format-date d 'YYYY' tz='Pacific/Kiritimati'}}", d=last)
    with pytest.raises(TemplateRenderError, match="out of range as epoch milliseconds"):
        fill("{{format-datetime d}}", d=10**20)


def test_the_locale_is_not_passed_on_as_data() -> None:
    assert public_data({"k": "v", LOCALE_KEY: "pt"}) == {"k": "v"}


def test_a_sends_locale_formats_its_numbers_and_dates() -> None:
    api, pipeline = make_api()
    content = {
        "title": "{{format-number total style='currency' currency='BRL'}}",
        "body": "{{format-date when 'long'}}",
    }
    for to_locale, title, body in [
        ("pt-BR", f"R${NBSP}1.234,50", "4 de março de 2026"),
        ("pt-PT", f"1{NBSP}234,50{NBSP}R$", "4 de março de 2026"),
        (None, "R$1,234.50", "March 4, 2026"),
    ]:
        to = {"webhook": "https://hooks.example.com/x"}
        if to_locale is not None:
            to["locale"] = to_locale
        data = {"total": 1234.5, "when": MOMENT}
        body_ = {"message": {"to": to, "content": content, "data": data}}
        assert call(api, "POST", "/send", body_).status == 202
        pipeline.drain()
        sent = pipeline.webhook.sent[-1].rendered
        assert (sent["title"], sent["body"]) == (title, body)
        assert LOCALE_KEY not in json.dumps(sent["data"])


LOCALES = ["de", "fr", "es", "it", "nl", "pt", "sv", "da", "fi", "pl"]


def test_a_render_names_at_most_nine_locales_each_paid_for_in_fuel_on_first_use() -> None:
    def numbers(locales: list[str]) -> str:
        return " ".join(f"{{{{format-number 1 locale='{tag}'}}}}" for tag in locales)

    assert fill(numbers(LOCALES[:9])) == " ".join(["1"] * 9)
    # The same locale again is not a first use: no more fuel.
    assert fill(numbers(LOCALES[:9] + LOCALES[:9])) == " ".join(["1"] * 18)
    with pytest.raises(TemplateOutOfFuel):
        fill(numbers(LOCALES))


def test_reading_a_locale_s_data_is_not_counted_in_the_render_s_cpu_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_load(tag: str | None) -> None:  # a cold instance reading the data from disk
        started = time.thread_time()
        while time.thread_time() - started < DEFAULT_LIMITS.cpu_seconds * 1.5:
            pass

    monkeypatch.setattr(localized, "load", slow_load)
    # Formats after the first read the clock again: the load's time is not on it.
    assert fill("{{format-number 1234.5 2}} {{format-number 1}} {{format-number 2}}", "de") == (
        "1.234,50 1 2"
    )

    # The render's own work still counts: the same CPU spent formatting times out.
    def slow_format(*args: Any, **kwargs: Any) -> str:
        slow_load(None)
        return "x"

    monkeypatch.setattr(localized, "format_number", slow_format)
    with pytest.raises(TemplateTimeout):
        fill("{{format-number 1}} {{format-number 2}} {{format-number 3}}", "de")
