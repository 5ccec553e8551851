"""Personal data kept out of what Herald logs, traces and stores about a failure.

A provider's error may quote the recipient back ("550 5.1.1 <ada@example.com>:
user unknown", "The 'To' number +15005550006 is not valid"). ``redact`` is the
one function every such text goes through before it reaches a log line, a span
or a message's stored ``error``: it removes the values it is given (the
recipient's own addresses), then any email address (its domain kept, which says
which system refused), phone number and long opaque token (a device token, a
link token) it finds. It scans without regular expressions, in linear time, and
reads at most ``MAX_READ_CHARS`` of the text.
"""

from __future__ import annotations

from collections.abc import Iterable

# Enough for any provider's error message; the rest is cut before it is read.
MAX_READ_CHARS = 2_000
# What an error keeps once redacted.
MAX_ERROR_CHARS = 500
REDACTED = "<redacted>"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Characters of an address's local part (RFC 5322's atext and dots, but the quotes and
# braces that more often surround an address in a message) and of a domain.
_LOCAL = frozenset(_ALNUM + "!#$%&*+-/=?^_`|~.")
_DOMAIN = frozenset(_ALNUM + "-.")
_PHONE_GLUE = frozenset(" -.()/")
_TOKEN = frozenset(_ALNUM + "_-:")
# A run of digits this long (with + in front, or this many more without) is a number.
PHONE_DIGITS = 7
BARE_PHONE_DIGITS = 10
# An unbroken run of token characters this long is a token (an FCM token is ~150).
TOKEN_CHARS = 40


def redact(text: str, known: Iterable[str | None] = ()) -> str:
    """``text`` without the ``known`` values, email addresses, phone numbers or tokens."""
    text = text[:MAX_READ_CHARS]
    for value in known:
        if value and len(value) >= 3:
            text = text.replace(value, REDACTED)
    return scrubbed(text)


def scrubbed(text: str) -> str:
    """``text`` without email addresses, phone numbers or tokens, read whole."""
    return _tokens(_phones(_emails(text)))


def error_text(error: BaseException, known: Iterable[str | None] = ()) -> str:
    """An exception as it may be logged, traced or stored: redacted, and short."""
    return redact(str(error) or type(error).__name__, known)[:MAX_ERROR_CHARS]


def _emails(text: str) -> str:
    """``ada@example.com`` becomes ``<redacted>@example.com``."""
    pieces: list[str] = []
    done = 0
    at = text.find("@")
    while at >= 0:
        start = at
        while start > done and text[start - 1] in _LOCAL:
            start -= 1
        end = at + 1
        while end < len(text) and text[end] in _DOMAIN:
            end += 1
        domain = text[at + 1 : end].rstrip(".-")
        if start < at and "." in domain:
            pieces += (text[done:start], REDACTED, "@", domain)
            done = at + 1 + len(domain)
        at = text.find("@", max(end, at + 1))
    pieces.append(text[done:])
    return "".join(pieces)


def _phones(text: str) -> str:
    """A + and at least seven digits, with spaces, dashes, dots or brackets between
    them; or ten digits in a row (a number written without its +)."""
    pieces: list[str] = []
    done = i = 0
    while i < len(text):
        plus = text[i] == "+" and text[i + 1 : i + 2].isdigit()
        if not (plus or text[i].isdigit()) or (i > 0 and text[i - 1].isalnum()):
            i += 1
            continue
        start, digits, end = i, 0, i + plus
        j = end
        while j < len(text) and (text[j].isdigit() or (plus and text[j] in _PHONE_GLUE)):
            if text[j].isdigit():
                digits += 1
                end = j + 1
            j += 1
        if digits >= (PHONE_DIGITS if plus else BARE_PHONE_DIGITS):
            pieces += (text[done:start], REDACTED)
            done = end
        i = max(j, i + 1)
    pieces.append(text[done:])
    return "".join(pieces)


def _tokens(text: str) -> str:
    pieces: list[str] = []
    done = i = 0
    while i < len(text):
        if text[i] not in _TOKEN:
            i += 1
            continue
        start = i
        while i < len(text) and text[i] in _TOKEN:
            i += 1
        if i - start >= TOKEN_CHARS:
            pieces += (text[done:start], REDACTED)
            done = i
    pieces.append(text[done:])
    return "".join(pieces)
