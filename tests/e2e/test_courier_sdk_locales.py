"""Conformance: Courier's Python SDK drives translations on the local stack, and a send
in a locale takes its template's variant and its translations.

As in ``test_courier_sdk``: the client validates every answer against the SDK's
own models, with retries off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import courier
import pytest
from courier import Courier

from herald_tools.local.stack import Stack
from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[Courier]:
    with Courier(
        api_key=stack.api_key,
        base_url=stack.base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def po(msgid: str, msgstr: str) -> str:
    return f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "{msgid}"\nmsgstr "{msgstr}"\n'


def test_translations_are_put_and_read_back_through_the_sdk(client: Courier) -> None:
    run = uuid.uuid4().hex[:8]
    text = po(f"Hello {run}", f"Olá {run}")
    client.translations.update("pt", domain=f"app-{run}", body=text)
    assert client.translations.retrieve("pt", domain=f"app-{run}") == text
    with pytest.raises(courier.BadRequestError):
        client.translations.update("pt", domain=f"app-{run}", body="this is not gettext")
    with pytest.raises(courier.NotFoundError):
        client.translations.retrieve("fr", domain=f"app-{run}")


def test_a_send_in_a_locale_takes_the_nearest_variant_and_translations(
    client: Courier, api: Client, sinks: Client
) -> None:
    run = uuid.uuid4().hex[:8]
    client.translations.update("pt", domain="default", body=po(f"Thanks {run}", f"Obrigado {run}"))
    template = {
        "content": {"title": "Shipped", "body": f'{{{{t "Thanks {run}"}}}}'},
        "locales": {"pt": {"title": "Enviado", "body": f'{{{{t "Thanks {run}"}}}}'}},
    }
    assert api.request("PUT", f"/templates/shipped-{run}", template)[0] == 200
    sent = {}
    for locale in ("pt-BR", "en"):
        address = f"{run}-{locale}@example.com"
        client.send.message(
            message={"to": {"email": address, "locale": locale}, "template": f"shipped-{run}"}
        )
        sent[locale] = address

    def mails() -> dict[str, Any] | None:
        found = {
            locale: m
            for m in sinks.get("/mail")
            for locale, address in sent.items()
            if address in m["to"]
        }
        return found if len(found) == len(sent) else None

    found = eventually(mails, what="a mail in each locale")
    assert found["pt-BR"]["subject"] == "Enviado"
    assert f"Obrigado {run}" in str(found["pt-BR"])
    assert found["en"]["subject"] == "Shipped"
    assert f"Thanks {run}" in str(found["en"])
