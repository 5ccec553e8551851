"""Translations in Courier's shape: a gettext ``.po`` body per domain and locale.

``PUT /translations/{domain}/{locale}`` takes the ``.po`` text (as it is, or as the
JSON string Courier's SDK sends), parsed with Babel's reader: a body that does not
parse is a 400. What is stored is the text, given back by ``GET``, and its
messages (``msgid`` -> ``msgstr``; fuzzy and untranslated ones left out), which
templates of a message in that locale read with ``{{t "msgid"}}``.
"""

from __future__ import annotations

import io
import json
from typing import Any

from herald.clock import now_ms
from herald.errors import NotFound, ValidationFailed
from herald.locales import check_locale, fallback_chain
from herald.store.documents import DocPath, DocumentStore

# Stored with its messages in one document (Firestore's is 1 MiB): the text and
# the messages each at most this.
MAX_PO_BYTES = 256 * 1024
MAX_PO_BODY = MAX_PO_BYTES + 1024  # the JSON string around it
MAX_MESSAGES = 5000
# The domain templates read: Courier's default one.
DEFAULT_DOMAIN = "default"


def translation_path(domain: str, locale: str) -> DocPath:
    return ("translations", domain, "locales", locale)


def po_text(body: bytes) -> str:
    """The ``.po`` text of a request: the body itself, or the JSON string holding it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.of("body", "is not UTF-8 text") from exc
    if text.lstrip().startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            text = decoded
    if not text.strip():
        raise ValidationFailed.of("body", "is empty; send a gettext .po file")
    if len(text.encode()) > MAX_PO_BYTES:
        raise ValidationFailed.of("body", f"is longer than {MAX_PO_BYTES:,} bytes")
    return text


def parse_po(text: str) -> list[dict[str, str]]:
    """The translated messages of a ``.po`` text; a 400 naming ``body`` if it does not parse."""
    # Imported here: only the api parses .po files (render reads what was stored).
    from babel.messages.pofile import PoFileError, read_po

    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        raise ValidationFailed.of("body", f"is not a gettext .po file: {exc}") from exc
    messages = []
    for message in catalog:
        # A plural entry's singular: its first id and first form.
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        forms = message.string
        msgstr = forms if isinstance(forms, str) else (forms[0] if forms else "")
        if msgid and msgstr and not message.fuzzy:
            messages.append({"id": msgid, "str": msgstr})
    if len(messages) > MAX_MESSAGES:
        raise ValidationFailed.of("body", f"holds more than {MAX_MESSAGES:,} messages")
    return messages


def locale_of(raw: str) -> str:
    try:
        locale = check_locale(raw)
    except ValueError as exc:
        raise ValidationFailed.of("locale", str(exc)) from exc
    assert locale is not None
    return locale


class TranslationService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def put(self, workspace: str, domain: str, locale: str, body: bytes) -> None:
        tag = locale_of(locale)
        text = po_text(body)
        messages = parse_po(text)
        document = {"po": text, "messages": messages, "updated_ms": now_ms()}
        self.documents.put(workspace, translation_path(domain, tag), document)

    def get(self, workspace: str, domain: str, locale: str) -> str:
        stored = self.documents.get(workspace, translation_path(domain, locale_of(locale)))
        if stored is None:
            raise NotFound(f"no translations for domain {domain} in locale {locale}")
        return str(stored["po"])


def translation_paths(locale: str) -> list[DocPath]:
    """Where the translations a message in ``locale`` reads may be, nearest first."""
    return [translation_path(DEFAULT_DOMAIN, tag) for tag in fallback_chain(locale)]


def messages_of(stored: dict[str, Any]) -> dict[str, str]:
    return {m["id"]: m["str"] for m in stored.get("messages") or []}
