from typing import Any

import pytest

from herald.templating import HELPERS, TemplateRenderError, compile_template


def fill(source: str, data: dict[str, Any] | None = None) -> str:
    return compile_template(source).render(data or {}, escape_html=False)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{{eq a "1"}} {{eq a 2}} {{ne a 2}}', "true false true"),
        ("{{gt a 0}} {{gte a 1}} {{lt a 1}} {{lte a 1}}", "true true false true"),
        ('{{gt "10" 9}} {{lt "b" "a"}}', "true false"),
        (
            "{{and a 1 'x'}} {{and a 0}} {{#if (and)}}true{{/if}} {{or 0 '' a}} {{#unless (or)}}false{{/unless}} {{not a}} {{not (eq a 2)}}",
            "true false true true false false true",
        ),
        ('{{#if (condition a ">=" 1)}}y{{/if}} {{condition flag "==" "true"}}', "y true"),
    ],
)
def test_logic_helpers(source: str, expected: str) -> None:
    assert fill(source, {"a": 1, "flag": True}) == expected


def test_text_helpers() -> None:
    data = {"n": "ada lovelace", "tags": ["a", "b", 3]}
    assert fill("{{uppercase n}}|{{lowercase 'ABC'}}|{{capitalize n}}|{{trim '  x '}}", data) == (
        "ADA LOVELACE|abc|Ada lovelace|x"
    )
    assert fill("{{concat 'hello' ' ' n}}|{{join tags}}|{{join tags ' / '}}", data) == (
        "hello ada lovelace|a, b, 3|a / b / 3"
    )


def test_default_replaces_only_missing_values() -> None:
    data = {"empty": "", "zero": 0}
    assert (
        fill("{{default name 'friend'}}|{{fallback empty 'x'}}|{{default zero 5}}", data)
        == "friend||0"
    )


def test_lookup_var_and_path_read_the_data() -> None:
    data = {"user": {"name": "Ada"}, "key": "name", "list": ["p", "q"]}
    assert (
        fill("{{lookup user key}} {{lookup list 1}} {{var 'user.name'}} {{path 'list.0'}}", data)
        == "Ada q Ada p"
    )


def test_arithmetic_and_numbers() -> None:
    assert (
        fill("{{add 1 2}} {{subtract 5 '2'}} {{multiply 1.5 2}} {{length list}}", {"list": [1, 2]})
        == "3 3 3 2"
    )
    assert fill(
        "{{format-number 1234567.891}} {{format_number 1234.5 2}} {{format-number n decimals=0}}",
        {"n": "9999.6"},
    ) == ("1,234,567.891 1,234.50 10,000")


def test_format_date_takes_iso_dates_and_epoch_milliseconds() -> None:
    data = {"iso": "2026-03-04T15:06:07+01:00", "ms": 0}
    assert fill("{{format-date iso}}", data) == "2026-03-04"
    assert fill("{{format_date iso 'dddd, MMMM D, YYYY h:mm A [at] HH:mm:ss'}}", data) == (
        "Wednesday, March 4, 2026 3:06 PM at 15:06:07"
    )
    assert fill("{{format-date ms format='YY/M/DD'}}", data) == "70/1/01"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("x\n {{add 'a' 1}}", "line 2, column 2: add: first argument must be a number, got 'a'"),
        ("{{format-date 'soon'}}", "format-date: 'soon' is not an ISO 8601 date"),
        ('{{condition 1 "~" 2}}', "condition: unsupported operator '~'"),
        ("{{format-number 1 decimals=99}}", "decimals must be a whole number from 0 to 20"),
    ],
)
def test_helpers_refuse_bad_arguments_with_the_call_position(source: str, reason: str) -> None:
    with pytest.raises(TemplateRenderError, match=reason):
        fill(source)


def test_nested_arithmetic_stays_javascript_sized() -> None:
    source = "{{multiply " + "(multiply " * 7 + "n n" + ") n" * 7 + "}}"
    assert fill(source, {"n": 10**15}).endswith("e+135")  # a float, not a 136-digit integer


def test_every_documented_helper_is_registered() -> None:
    documented = {"eq", "ne", "gt", "gte", "lt", "lte", "and", "or", "not", "condition",
                  "uppercase", "lowercase", "capitalize", "trim", "concat", "join", "default",
                  "fallback", "length", "lookup", "var", "path", "t", "add", "subtract", "multiply",
                  "format-number", "format_number", "format-date", "format_date",
                  "format-datetime", "format_datetime", "format-time", "format_time"}  # fmt: skip
    assert set(HELPERS) == documented
