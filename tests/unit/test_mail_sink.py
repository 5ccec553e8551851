"""The local SMTP sink's inbox: mail counted as taken, parsed when read."""

from email.message import EmailMessage
from typing import Any

import pytest

from herald_tools.local import sinks
from herald_tools.local.sinks import Inbox


def _raw(subject: str, text: str, message_id: str) -> bytes:
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = "herald@example.com"
    mail["To"] = "ada@example.com"
    mail["X-Herald-Message-Id"] = message_id
    mail.set_content(text)
    mail.add_alternative(f"<p>{text}</p>", subtype="html")
    return mail.as_bytes()


def test_mail_is_counted_as_taken_and_read_back_parsed_in_order() -> None:
    inbox = Inbox()
    inbox.add_mail("herald@example.com", ["ada@example.com"], _raw("One", "first", "m1"))
    inbox.add_mail("herald@example.com", ["bob@example.com"], _raw("Two", "second", "m2"))
    assert inbox.mail_count == 2
    first, second = inbox.mail
    assert (first["id"], first["subject"], first["text"], first["heraldMessageId"]) == (
        1,
        "One",
        "first",
        "m1",
    )
    assert first["html"].strip() == "<p>first</p>" and first["to"] == ["ada@example.com"]
    assert (second["id"], second["subject"], second["to"]) == (2, "Two", ["bob@example.com"])
    # One taken after a read is parsed at the next read, numbered after the others.
    inbox.add_mail("herald@example.com", ["cy@example.com"], _raw("Three", "third", "m3"))
    assert [m["id"] for m in inbox.mail] == [1, 2, 3] and inbox.mail[2]["subject"] == "Three"


def test_clearing_the_mail_starts_the_count_and_the_numbers_again() -> None:
    inbox = Inbox()
    inbox.add_mail("herald@example.com", ["ada@example.com"], _raw("One", "first", "m1"))
    assert len(inbox.mail) == 1
    inbox.clear_mail()
    assert (inbox.mail_count, inbox.mail) == (0, [])
    inbox.add_mail("herald@example.com", ["ada@example.com"], _raw("Again", "x", "m2"))
    assert [(m["id"], m["subject"]) for m in inbox.mail] == [(1, "Again")]


def test_a_reader_holding_the_lock_reads_the_mail() -> None:
    inbox = Inbox()
    inbox.add_mail("herald@example.com", ["ada@example.com"], _raw("One", "first", "m1"))
    with inbox.lock:  # as the HTTP listing does
        assert len(inbox.mail) == 1


def test_each_mail_is_parsed_once_and_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    parses: list[int] = []
    real = sinks._parsed

    def counted(number: int, taken: sinks._Taken) -> dict[str, Any]:
        parses.append(number)
        return real(number, taken)

    monkeypatch.setattr(sinks, "_parsed", counted)
    inbox = Inbox()
    for n in range(3):
        inbox.add_mail("herald@example.com", ["ada@example.com"], _raw(f"S{n}", "x", f"m{n}"))
    assert (inbox.mail_count, parses) == (3, [])  # counting parses nothing
    assert len(inbox.mail) == 3 and parses == [1, 2, 3]
    assert len(inbox.mail) == 3 and parses == [1, 2, 3]  # read again: none parsed twice
