"""Every regular expression in shared/herald, run on hostile text of the largest size
its callers let reach it: none may take more than linear time.

``SITES`` is the registry: each ``re`` call in the package, where it is, how it is
used, the longest text it is given and what bounds that. A call missing from it
(or an entry whose call is gone) fails the first test, so a new pattern is audited
from the day it is written. The scans that replaced patterns (Markdown, an email's
links) are held to the same measure.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from herald.api.routes import build_router
from herald.domain.send import MAX_EXPIRY_CHARS
from herald.elemental import markdown
from herald.engagement.tracking import MAX_HTML_CHARS, before_body_end, track_links
from herald.locales import MAX_LOCALE_CHARS
from herald.redaction import scrubbed
from herald.templating import Budget, Limits
from herald.templating.helpers import MAX_STYLE_CHARS
from herald.templating.localized import MAX_TIME_ZONE_CHARS
from tests.unit.hostile_text import (
    STEP,
    THRESHOLD,
    Hostile,
    call_of,
    growth,
    hostile_texts,
    shapes_by_cost,
    sizes_up_to,
)

PACKAGE = Path(__file__).resolve().parents[2] / "shared"
KIB = 1024
# What the send API takes: any text in a send is at most this long.
SEND_BODY = 256 * KIB
# Paths and header values have no limit of Herald's own: functions-framework lifts
# gunicorn's request-line limit. Patterns on them are anchored and bounded, so any
# length costs the same; they are tried at this length.
ANY_LENGTH = 1024 * KIB
# gunicorn's limit on one header (limit_request_field_size, left at its default).
HEADER = 8190
LARGEST_TRIED = 1024 * KIB
# gRPC's default limit on a received message (4 MiB), met by the telemetry stand-ins;
# tried at the largest size.
GRPC_MESSAGE = 4096 * KIB
# How many of a pattern's hostile texts are measured at its largest size: the ones
# that cost most at a sixteenth of it.
AT_THE_LARGEST = 3


@dataclass(frozen=True)
class Site:
    patterns: Callable[[], list[re.Pattern[str]]]
    use: str  # match, fullmatch, search, sub or finditer, as the callers call it
    max_chars: int
    bound: str  # what keeps the text that short


def attribute(module: str, name: str) -> Callable[[], list[re.Pattern[str]]]:
    package = "" if module.startswith("herald_tools.") else "herald."
    return lambda: [getattr(importlib.import_module(f"{package}{module}"), name)]


def literal(source: str, flags: int = 0) -> Callable[[], list[re.Pattern[str]]]:
    return lambda: [re.compile(source, flags)]


def route_patterns() -> list[re.Pattern[str]]:
    return list({route.pattern.pattern: route.pattern for route in build_router().routes}.values())


def route_templates() -> list[str]:
    return [route.template for route in build_router().routes]


LONGEST_TEMPLATE = 100

SITES: dict[tuple[str, str], Site] = {
    ("herald/api/http.py", "'\\\\{(\\\\w+)\\\\}'"): Site(
        literal(r"\{(\w+)\}"), "sub", LONGEST_TEMPLATE, "Herald's own route templates"
    ),
    ("herald/api/http.py", "pattern"): Site(
        route_patterns, "match", ANY_LENGTH, "request paths: any length"
    ),
    ("herald/api/openapi.py", "_PATH_PARAM"): Site(
        attribute("api.openapi", "_PATH_PARAM"),
        "finditer",
        LONGEST_TEMPLATE,
        "Herald's own route templates",
    ),
    ("herald/domain/headers.py", "_TOKEN"): Site(
        attribute("domain.headers", "_TOKEN"), "match", SEND_BODY, "header names in a send"
    ),
    ("herald/domain/headers.py", "_CONTROL"): Site(
        attribute("domain.headers", "_CONTROL"), "search", SEND_BODY, "header values in a send"
    ),
    ("herald/domain/inbox.py", "_ENTRY_ID"): Site(
        attribute("domain.inbox", "_ENTRY_ID"),
        "fullmatch",
        32 * KIB,
        "an inbox cursor, in a GraphQL document of at most 32 KiB",
    ),
    ("herald/realtime/connections.py", "_CONNECTION_ID"): Site(
        attribute("realtime.connections", "_CONNECTION_ID"),
        "fullmatch",
        64,
        "a socket's connection id (cid), its length checked against 64 first",
    ),
    ("herald/engagement/user_tokens.py", "_DURATION"): Site(
        attribute("engagement.user_tokens", "_DURATION"),
        "fullmatch",
        64,
        "expires_in, checked to 64 characters first",
    ),
    ("herald/domain/digest.py", "_TIME"): Site(
        attribute("domain.digest", "_TIME"),
        "fullmatch",
        64 * KIB,
        "a topic's body, within the API's default body limit",
    ),
    ("herald/domain/digest.py", "_ZONE"): Site(
        attribute("domain.digest", "_ZONE"), "fullmatch", 64, "checked to 64 characters first"
    ),
    ("herald/domain/journey.py", "_ISO_DURATION"): Site(
        attribute("domain.journey", "_ISO_DURATION"),
        "fullmatch",
        64,
        "a journey node's duration, checked to 64 characters first",
    ),
    ("herald/domain/journey_conditions.py", "_PATH"): Site(
        attribute("domain.journey_conditions", "_PATH"),
        "fullmatch",
        128,
        "a condition's path, checked to 128 characters first",
    ),
    ("herald/domain/journey_conditions.py", "_NUMBER"): Site(
        attribute("domain.journey_conditions", "_NUMBER"),
        "fullmatch",
        256,
        "a condition's value, checked to 256 characters when the journey is stored",
    ),
    ("herald/domain/send.py", "_EMAIL"): Site(
        attribute("domain.send", "_EMAIL"), "match", 254, "checked to 254 characters first"
    ),
    ("herald/domain/send.py", "_ID"): Site(
        attribute("domain.send", "_ID"), "match", SEND_BODY, "ids in a send or a path"
    ),
    ("herald/domain/send.py", "_E164"): Site(
        attribute("domain.send", "_E164"), "fullmatch", SEND_BODY, "phone numbers in a send"
    ),
    ("herald/domain/send.py", "_RESERVED_FIELD"): Site(
        attribute("domain.send", "_RESERVED_FIELD"), "fullmatch", SEND_BODY, "keys in a send"
    ),
    ("herald/domain/send.py", "_PLAIN_FIELD"): Site(
        attribute("domain.send", "_PLAIN_FIELD"), "fullmatch", SEND_BODY, "keys in a send"
    ),
    ("herald/domain/send.py", "_DURATION"): Site(
        attribute("domain.send", "_DURATION"),
        "fullmatch",
        MAX_EXPIRY_CHARS,
        "MAX_EXPIRY_CHARS, checked first",
    ),
    ("herald/locales.py", "_LOCALE"): Site(
        attribute("locales", "_LOCALE"),
        "fullmatch",
        MAX_LOCALE_CHARS,
        "checked to 35 characters first",
    ),
    ("herald/templating/localized.py", "_CURRENCY"): Site(
        attribute("templating.localized", "_CURRENCY"),
        "fullmatch",
        MAX_STYLE_CHARS,
        "a helper's currency option is refused past 16 characters first",
    ),
    ("herald/templating/localized.py", "_TIME_ZONE"): Site(
        attribute("templating.localized", "_TIME_ZONE"),
        "fullmatch",
        MAX_TIME_ZONE_CHARS,
        "a longer time zone is UTC, unmatched",
    ),
    ("herald/domain/send.py", "_BEARER_TOKEN"): Site(
        attribute("domain.send", "_BEARER_TOKEN"),
        "fullmatch",
        4096,
        "MAX_CREDENTIAL_CHARS, checked first",
    ),
    ("herald/domain/send.py", "_SLACK_TOKEN"): Site(
        attribute("domain.send", "_SLACK_TOKEN"),
        "fullmatch",
        256,
        "MAX_SLACK_TOKEN_CHARS, checked first",
    ),
    ("herald/domain/send.py", "_SLACK_CHANNEL"): Site(
        attribute("domain.send", "_SLACK_CHANNEL"),
        "fullmatch",
        81,
        "MAX_SLACK_CHANNEL_CHARS, checked first",
    ),
    ("herald/domain/send.py", "_SLACK_USER"): Site(
        attribute("domain.send", "_SLACK_USER"),
        "fullmatch",
        32,
        "MAX_SLACK_USER_CHARS, checked first",
    ),
    ("herald/domain/send.py", "_TEAMS_ID"): Site(
        attribute("domain.send", "_TEAMS_ID"),
        "fullmatch",
        512,
        "MAX_TEAMS_ID_CHARS, checked first",
    ),
    ("herald/domain/send.py", "_TEAMS_TENANT"): Site(
        attribute("domain.send", "_TEAMS_TENANT"),
        "fullmatch",
        64,
        "tenant_id's max_length, checked first",
    ),
    ("herald/store/documents.py", "_RESERVED_ID"): Site(
        attribute("store.documents", "_RESERVED_ID"), "fullmatch", SEND_BODY, "ids in a send"
    ),
    ("herald_tools/local/telemetry/metric_service.py", "_PROJECT"): Site(
        attribute("herald_tools.local.telemetry.metric_service", "_PROJECT"),
        "fullmatch",
        GRPC_MESSAGE,
        "gRPC's message limit",
    ),
    ("herald_tools/local/telemetry/metric_service.py", "_LABEL_KEY"): Site(
        attribute("herald_tools.local.telemetry.metric_service", "_LABEL_KEY"),
        "fullmatch",
        GRPC_MESSAGE,
        "gRPC's message limit",
    ),
    ("herald_tools/local/telemetry/trace_service.py", "_PROJECT"): Site(
        attribute("herald_tools.local.telemetry.trace_service", "_PROJECT"),
        "fullmatch",
        GRPC_MESSAGE,
        "gRPC's message limit",
    ),
    ("herald_tools/local/telemetry/trace_service.py", "_SPAN_NAME"): Site(
        attribute("herald_tools.local.telemetry.trace_service", "_SPAN_NAME"),
        "fullmatch",
        GRPC_MESSAGE,
        "gRPC's message limit",
    ),
    ("herald_tools/local/telemetry/trace_service.py", "_TRACE_ID"): Site(
        attribute("herald_tools.local.telemetry.trace_service", "_TRACE_ID"),
        "fullmatch",
        GRPC_MESSAGE,
        "gRPC's message limit",
    ),
    ("herald_tools/local/telemetry/trace_service.py", "_SPAN_ID"): Site(
        attribute("herald_tools.local.telemetry.trace_service", "_SPAN_ID"),
        "fullmatch",
        GRPC_MESSAGE,
        "gRPC's message limit",
    ),
    ("herald_tools/sdk_coverage.py", "_SEGMENT"): Site(
        attribute("herald_tools.sdk_coverage", "_SEGMENT"),
        "sub",
        LONGEST_TEMPLATE,
        "route templates, Herald's and those in the source of Courier's SDK",
    ),
    ("herald/domain/suppression.py", "_E164"): Site(
        attribute("domain.suppression", "_E164"), "match", SEND_BODY, "addresses in a send"
    ),
    ("herald/domain/suppression.py", "_PHONE_PUNCTUATION"): Site(
        attribute("domain.suppression", "_PHONE_PUNCTUATION"),
        "sub",
        SEND_BODY,
        "addresses in a send",
    ),
    ("herald/elemental/models.py", "_COLOR"): Site(
        attribute("elemental.models", "_COLOR"), "fullmatch", 64, "MAX_COLOR_CHARS, checked first"
    ),
    ("herald/elemental/models.py", "_FONT_SIZE"): Site(
        attribute("elemental.models", "_FONT_SIZE"),
        "fullmatch",
        8,
        "MAX_SIZE_CHARS, checked first",
    ),
    ("herald/elemental/models.py", "_LINE_HEIGHT"): Site(
        attribute("elemental.models", "_LINE_HEIGHT"),
        "fullmatch",
        8,
        "MAX_SIZE_CHARS, checked first",
    ),
    ("herald/elemental/models.py", "_WIDTH"): Site(
        attribute("elemental.models", "_WIDTH"), "fullmatch", 8, "MAX_WIDTH_CHARS, checked first"
    ),
    ("herald/resources/notifications.py", "_VERSION_ID"): Site(
        attribute("resources.notifications", "_VERSION_ID"),
        "fullmatch",
        7,
        "MAX_VERSION_ID_CHARS, checked first",
    ),
    ("herald/engagement/tokens.py", "_TOKEN"): Site(
        attribute("engagement.tokens", "_TOKEN"), "match", ANY_LENGTH, "a path segment"
    ),
    ("herald_tools/eventmap/image.py", "_HASH_COMMENT"): Site(
        attribute("herald_tools.eventmap.image", "_HASH_COMMENT"),
        "search",
        LARGEST_TRIED,
        "Herald's own generated SVG",
    ),
    ("herald_tools/local/router.py", "_TRIGGER_PATH"): Site(
        attribute("herald_tools.local.router", "_TRIGGER_PATH"),
        "match",
        ANY_LENGTH,
        "request paths",
    ),
    ("herald_tools/local/sinks.py", "_TWILIO"): Site(
        attribute("herald_tools.local.sinks", "_TWILIO"), "match", ANY_LENGTH, "request paths"
    ),
    ("herald_tools/local/sinks.py", "_FCM"): Site(
        attribute("herald_tools.local.sinks", "_FCM"), "match", ANY_LENGTH, "request paths"
    ),
    ("herald_tools/local/sinks.py", "_TEAMS_ACTIVITIES"): Site(
        attribute("herald_tools.local.sinks", "_TEAMS_ACTIVITIES"),
        "match",
        ANY_LENGTH,
        "request paths",
    ),
    ("herald/observability/tracing.py", "_CLOUD_TRACE_HEADER"): Site(
        attribute("observability.tracing", "_CLOUD_TRACE_HEADER"),
        "match",
        HEADER,
        "a header value",
    ),
    ("herald/providers/fcm.py", "_ERROR_CODE"): Site(
        attribute("providers.fcm", "_ERROR_CODE"), "match", 64 * KIB, "MAX_RESPONSE_BYTES"
    ),
    ("herald/providers/slack.py", "_ERROR_CODE"): Site(
        attribute("providers.slack", "_ERROR_CODE"), "match", 64 * KIB, "MAX_RESPONSE_BYTES"
    ),
    ("herald/providers/slack.py", "_UNSENDABLE"): Site(
        attribute("providers.slack", "_UNSENDABLE"), "search", SEND_BODY, "a URL in a send"
    ),
    ("herald_tools/schemagate/released.py", "_FILE_NAME"): Site(
        attribute("herald_tools.schemagate.released", "_FILE_NAME"), "match", 255, "a file name"
    ),
    ("herald/pipeline/feedback.py", "_SAFE_ID"): Site(
        attribute("pipeline.feedback", "_SAFE_ID"), "fullmatch", 200, "_SAFE_ID_CHARS, first"
    ),
    ("herald/templating/lexer.py", "_ID"): Site(
        attribute("templating.lexer", "_ID"), "match", SEND_BODY, "Limits.max_source_chars"
    ),
    ("herald/templating/lexer.py", "_NUMBER"): Site(
        attribute("templating.lexer", "_NUMBER"), "match", SEND_BODY, "Limits.max_source_chars"
    ),
    ("herald/templating/lexer.py", "_COMMENT_END"): Site(
        attribute("templating.lexer", "_COMMENT_END"),
        "search",
        SEND_BODY,
        "Limits.max_source_chars",
    ),
    ("herald/templating/lexer.py", "_LONG_COMMENT_END"): Site(
        attribute("templating.lexer", "_LONG_COMMENT_END"),
        "search",
        SEND_BODY,
        "Limits.max_source_chars",
    ),
}

_CALLS = {"compile", "match", "fullmatch", "search", "sub", "subn", "findall", "finditer", "split"}


def _is_re_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr in _CALLS
    )


def call_sites() -> set[tuple[str, str]]:
    """(file, name or pattern source) of every ``re`` call under shared/herald and shared/herald_tools."""
    found: set[tuple[str, str]] = set()
    for path in sorted(p for d in ("herald", "herald_tools") for p in (PACKAGE / d).rglob("*.py")):
        tree = ast.parse(path.read_text())
        relative = path.relative_to(PACKAGE).as_posix()
        named: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _is_re_call(node.value):
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    found.add((relative, target.id))
                    named.add(id(node.value))
            for alias in (
                getattr(node, "names", []) if isinstance(node, ast.Import | ast.ImportFrom) else []
            ):
                module = node.module if isinstance(node, ast.ImportFrom) else alias.name
                if module in ("fnmatch", "regex", "glob") or (module == "re" and alias.asname):
                    found.add((relative, f"import {module}"))  # never listed: always fails
        for node in ast.walk(tree):
            if _is_re_call(node) and id(node) not in named:
                assert isinstance(node, ast.Call)
                found.add((relative, ast.unparse(node.args[0])))
    return found


def test_every_regular_expression_in_the_package_is_in_the_registry() -> None:
    sites = call_sites()
    assert sorted(sites - set(SITES)) == [], "audit these: add them to SITES"
    assert sorted(set(SITES) - sites) == [], "these are gone: remove them from SITES"


def test_route_templates_are_as_short_as_the_registry_says() -> None:
    assert max(map(len, route_templates())) <= LONGEST_TEMPLATE


@functools.cache
def _audited() -> list[tuple[str, re.Pattern[str], Site]]:
    return [
        (f"{file}:{name}", pattern, site)
        for (file, name), site in sorted(SITES.items())
        for pattern in site.patterns()
    ]


def _hostile_count() -> int:
    return sum(len(hostile_texts(pattern)) for _, pattern, _ in _audited())


def worst_growth(pattern: re.Pattern[str], use: str, largest: int) -> tuple[float, str]:
    """The worst ratio of cost to sixteen times less text over the pattern's hostile
    texts, and which text; stops at the first past the threshold."""
    call = call_of(pattern, use)
    worst, which = 0.0, ""
    # Every text at a 256th and a 16th of the largest size: superlinear work shows here.
    costly: list[tuple[float, Hostile]] = []
    for shape in hostile_texts(pattern):
        found = growth(call, shape.of, sizes_up_to(largest // STEP, 2), max_repeats=1)
        if found.worst_ratio() > worst:
            worst, which = found.worst_ratio(), f"{shape}: {found}"
        if worst > THRESHOLD:
            return worst, which
        costly.append((found.seconds[-1], shape))
    # The costliest up to the largest size itself.
    for _, shape in sorted(costly, key=lambda c: -c[0])[:AT_THE_LARGEST]:
        found = growth(call, shape.of, sizes_up_to(largest, 2))
        if found.worst_ratio() > worst:
            worst, which = found.worst_ratio(), f"{shape}: {found}"
        if worst > THRESHOLD:
            break
    return worst, which


@pytest.mark.parametrize(("file", "name"), sorted(SITES))
def test_each_pattern_takes_linear_time_on_hostile_text_of_its_largest_size(
    file: str, name: str
) -> None:
    site = SITES[(file, name)]
    for pattern in site.patterns():
        assert hostile_texts(pattern), f"no hostile text for {pattern.pattern!r}"
        ratio, which = worst_growth(pattern, site.use, min(site.max_chars, LARGEST_TRIED))
        assert ratio <= THRESHOLD, f"{pattern.pattern!r} on {which}"


# What the review found, as Herald had it: the audit must see each of them grow
# faster than linearly from the pattern alone, without being told the attack.
FORMER = {
    "bold": (r"\*\*(?=\S)(.+?)(?<=\S)\*\*", 0, "sub"),
    "italic": (r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])", 0, "sub"),
    "link": (r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s)\"<>]+)\)", 0, "sub"),
    "anchor": (r"(<a\b[^>]*?\bhref\s*=\s*)([\"'])(.*?)\2", re.IGNORECASE | re.DOTALL, "sub"),
    "colour": (r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\(\s*[\d.\s,%]+\)", 0, "fullmatch"),
}


@pytest.mark.parametrize("name", sorted(FORMER))
def test_the_audit_finds_the_quadratic_patterns_herald_had(name: str) -> None:
    source, flags, use = FORMER[name]
    ratio, which = worst_growth(re.compile(source, flags), use, SEND_BODY)
    assert ratio > THRESHOLD, which


# -- the scans that replaced patterns

UNLIMITED = Limits(fuel=10**12, cpu_seconds=600, max_output_chars=10**9)


def _markdown(text: str) -> object:
    return markdown.to_html(text, "red", Budget(UNLIMITED)), markdown.to_plain(
        text, Budget(UNLIMITED)
    )


def _links(text: str) -> object:
    return track_links(text, lambda url: url, Budget(UNLIMITED))


def _body_end(text: str) -> object:
    return before_body_end(text, "!", Budget(UNLIMITED))


SCANS: dict[str, tuple[Callable[[str], object], int, list[Hostile]]] = {
    "redaction": (
        scrubbed,
        SEND_BODY,  # redact reads MAX_READ_CHARS; the scan is linear whatever it reads
        [Hostile("", u) for u in ("a@", "a@b.", "@a", "+1 ", "1", "+", "a", "a.@.b", "-@-")],
    ),
    "markdown": (
        _markdown,
        SEND_BODY,
        [Hostile("", u) for u in ("**a ", "*a ", "_a _", "[a", "[a](http://", "*", "[a]", "a_")],
    ),
    "links": (
        _links,
        MAX_HTML_CHARS,
        [Hostile("", u) for u in ("<a ", "<a href=x ", '<a href="', "<a href= '", "<A HREF=")]
        + [Hostile('<a href="', "x"), Hostile("<a", " href ")],
    ),
    "body end": (
        _body_end,
        MAX_HTML_CHARS,
        [Hostile("", u) for u in ("</body ", "</body", "</BODY\n")] + [Hostile("</body", " ")],
    ),
}


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_each_scan_takes_linear_time_on_hostile_text_of_its_largest_size(scan: str) -> None:
    call, largest, shapes = SCANS[scan]
    for shape, _ in shapes_by_cost(call, shapes, 1024):
        found = growth(call, shape.of, sizes_up_to(largest, 2))
        assert found.worst_ratio() <= THRESHOLD, f"{scan} on {shape}: {found}"


def test_the_audit_tries_thousands_of_hostile_texts() -> None:
    # The figure the README gives: the shapes built from the patterns, plus the scans'.
    total = _hostile_count() + sum(len(shapes) for _, _, shapes in SCANS.values())
    assert total > 2_000, total
