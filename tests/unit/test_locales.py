"""Locales over in-memory stores: a template's variant and an Elemental element's, chosen
by the message's locale with its fallback chain, and translations from .po files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from herald.api.http import Api
from herald.elemental import render_elemental
from herald.elemental.models import MAX_ELEMENT_LOCALES
from herald.locales import MAX_LOCALE_CHARS, check_locale, fallback_chain, pick_locale
from herald.resources.templates import MAX_TEMPLATE_LOCALES
from herald.resources.translations import MAX_PO_BYTES
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call, make_api

PO_PT = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Your order shipped"
msgstr "O seu pedido foi enviado"

#, fuzzy
msgid "Thanks"
msgstr "Obrigado?"
"""
PO_PT_BR = PO_PT.replace("O seu pedido foi enviado", "Seu pedido foi enviado")


def test_the_fallback_chain_goes_from_the_locale_to_its_language() -> None:
    assert fallback_chain("pt-BR") == ["pt-BR", "pt"]
    assert fallback_chain("zh-Hant-TW") == ["zh-Hant-TW", "zh-Hant", "zh"]
    assert check_locale("pt_BR") == "pt-BR"
    assert pick_locale(["pt", "fr"], "pt-BR") == "pt"
    assert pick_locale(["PT-br", "pt"], "pt-BR") == "PT-br"
    assert pick_locale(["fr"], "pt-BR") is None
    assert pick_locale(["fr"], None) is None
    assert check_locale("a" * 2 + "-" + "b" * 8) == "aa-bbbbbbbb"
    for bad in ("p", "português", "pt--BR", "pt-BR-toolongsubtag", "x" * (MAX_LOCALE_CHARS + 1)):
        with pytest.raises(ValueError, match="is not a locale"):
            check_locale(bad)


def put_template(api: Api, body: dict[str, Any]) -> int:
    return call(api, "PUT", "/templates/shipped", body).status


SHIPPED = {
    "content": {"title": "Your order shipped", "body": "Hi {{name}}"},
    "locales": {
        "pt": {"title": "O seu pedido foi enviado", "body": "Olá {{name}}"},
        "pt-BR": {"title": "Seu pedido foi enviado", "body": "Oi {{name}}"},
    },
}


def send(api: Api, pipeline: Pipeline, to: dict[str, Any], template: str = "shipped") -> str:
    body = {"message": {"to": to, "template": template, "data": {"name": "Ada"}}}
    response = call(api, "POST", "/send", body)
    assert response.status == 202, response.body
    pipeline.drain()
    return str(pipeline.email.sent[-1].rendered["subject"])


@pytest.mark.parametrize(
    ("locale", "subject"),
    [
        ("pt-BR", "Seu pedido foi enviado"),
        ("pt-PT", "O seu pedido foi enviado"),
        ("pt", "O seu pedido foi enviado"),
        ("fr", "Your order shipped"),
        (None, "Your order shipped"),
    ],
)
def test_to_locale_picks_the_nearest_variant_of_the_template(
    locale: str | None, subject: str
) -> None:
    api, pipeline = make_api()
    assert put_template(api, SHIPPED) == 200
    to = {"email": "ada@example.com", **({"locale": locale} if locale else {})}
    assert send(api, pipeline, to) == subject


def test_the_profiles_locale_is_used_unless_the_message_gives_one() -> None:
    api, pipeline = make_api()
    put_template(api, SHIPPED)
    profile = {"profile": {"email": "ada@example.com", "locale": "pt_BR"}}
    call(api, "POST", "/profiles/ada", profile)
    assert send(api, pipeline, {"user_id": "ada"}) == "Seu pedido foi enviado"
    assert send(api, pipeline, {"user_id": "ada", "locale": "en"}) == "Your order shipped"
    # A profile's locale that is not one is as if none were given.
    call(api, "POST", "/profiles/bob", {"profile": {"email": "b@example.com", "locale": "?"}})
    assert send(api, pipeline, {"user_id": "bob"}) == "Your order shipped"


def test_locales_are_checked_and_bounded() -> None:
    api, _ = make_api()
    bad_send = call(
        api,
        "POST",
        "/send",
        {
            "message": {
                "to": {"email": "a@example.com", "locale": "nope!"},
                "content": {"body": "x"},
            }
        },
    )
    assert (bad_send.status, bad_send.body["errors"][0]["field"]) == (400, "message.to.locale")
    bad_key = call(
        api, "PUT", "/templates/t", {"content": {"body": "x"}, "locales": {"x!": {"body": "y"}}}
    )
    assert (bad_key.status, bad_key.body["errors"][0]["field"]) == (400, "locales")
    bad_syntax = call(
        api, "PUT", "/templates/t", {"content": {"body": "x"}, "locales": {"pt": {"body": "{{"}}}
    )
    assert bad_syntax.body["errors"][0]["field"] == "locales.pt.body"
    many = {
        f"a{chr(97 + n // 26)}{chr(97 + n % 26)}": {"body": "y"}
        for n in range(MAX_TEMPLATE_LOCALES)
    }
    assert put_template(api, {"content": {"body": "x"}, "locales": many}) == 200
    over = {**many, "zz": {"body": "y"}}
    refused = call(api, "PUT", "/templates/t", {"content": {"body": "x"}, "locales": over})
    assert refused.body["errors"][0]["field"] == "locales"


ELEMENTAL = {
    "version": "2022-01-01",
    "elements": [
        {"type": "meta", "title": "Shipped", "locales": {"pt": {"title": "Enviado"}}},
        {
            "type": "text",
            "content": "Hi {{name}}",
            "locales": {"pt": {"content": "Olá {{name}}"}, "pt-BR": {"content": "Oi {{name}}"}},
        },
        {"type": "action", "content": "Track", "href": "https://example.com/t"},
    ],
}


def test_elemental_locales_give_each_element_its_nearest_variant() -> None:
    def rendered(locale: str | None) -> tuple[str, str]:
        email = render_elemental(ELEMENTAL, "email", {"name": "Ada"}, locale=locale)
        return email["subject"], email["text"].split("\n\n")[0]

    assert rendered("pt-BR") == ("Enviado", "Oi Ada")
    assert rendered("pt-PT") == ("Enviado", "Olá Ada")
    assert rendered("en") == ("Shipped", "Hi Ada")
    assert rendered(None) == ("Shipped", "Hi Ada")


def test_a_send_in_a_locale_renders_its_elemental_variants() -> None:
    api, pipeline = make_api()
    body = {"message": {"to": {"email": "a@example.com", "locale": "pt-BR"}, "content": ELEMENTAL}}
    call(api, "POST", "/send", {**body, "message": {**body["message"], "data": {"name": "Ada"}}})
    pipeline.drain()
    email = pipeline.email.sent[-1].rendered
    assert email["subject"] == "Enviado"
    assert "Oi Ada" in email["text"]


def test_elemental_locales_are_checked_when_the_content_is() -> None:
    api, _ = make_api()

    def refused(locales: Any) -> str:
        content = {
            "version": "2022-01-01",
            "elements": [{"type": "text", "content": "x", "locales": locales}],
        }
        response = call(
            api,
            "POST",
            "/send",
            {"message": {"to": {"email": "a@example.com"}, "content": content}},
        )
        assert response.status == 400, response.body
        return str(response.body["errors"][0]["reason"])

    assert "is not a locale" in refused({"x!": {"content": "y"}})
    assert "may not change type" in refused({"pt": {"type": "image"}})
    assert "tag is never closed" in refused({"pt": {"content": "{{"}})
    assert "is not a field of this element" in refused({"pt": {"colour": "red"}})
    too_many = {
        f"a{chr(97 + n // 26)}{chr(97 + n % 26)}": {"content": "y"}
        for n in range(MAX_ELEMENT_LOCALES + 1)
    }
    assert f"at most {MAX_ELEMENT_LOCALES}" in refused(too_many)


def put_po(api: Api, locale: str, body: bytes | str, domain: str = "default") -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return call(api, "PUT", f"/translations/{domain}/{locale}", raw)


def test_a_po_file_is_put_and_read_back_as_it_was() -> None:
    api, _ = make_api()
    assert put_po(api, "pt", PO_PT).status == 204
    got = call(api, "GET", "/translations/default/pt")
    assert (got.status, got.raw) == (200, PO_PT.encode())
    assert got.headers["content-type"].startswith("text/plain")
    # As Courier's SDK sends it: the text as a JSON string.
    assert put_po(api, "pt-BR", json.dumps(PO_PT_BR)).status == 204
    assert call(api, "GET", "/translations/default/pt-BR").raw == PO_PT_BR.encode()
    assert call(api, "GET", "/translations/default/fr").status == 404
    assert call(api, "GET", "/translations/default/pt", key="other-key").status == 404


def test_a_po_body_that_does_not_parse_is_a_400_naming_the_body() -> None:
    api, _ = make_api()
    for bad in ("garbage that is not gettext", "", '"unterminated', b"\xff\xfe"):
        refused = put_po(api, "pt", bad)
        assert (refused.status, refused.body["errors"][0]["field"]) == (400, "body"), bad
    assert put_po(api, "not a locale!", PO_PT).status in (400, 404)
    at_limit = PO_PT + "#" * (MAX_PO_BYTES - len(PO_PT.encode()) - 1) + "\n"
    assert put_po(api, "pt", at_limit).status == 204
    over = put_po(api, "pt", at_limit + "#")
    assert over.status in (400, 413)


def test_templates_read_the_translations_of_the_messages_locale() -> None:
    api, pipeline = make_api()
    put_po(api, "pt", PO_PT)
    put_po(api, "pt-BR", PO_PT_BR)
    template = {"content": {"title": '{{t "Your order shipped"}}', "body": '{{t "Thanks"}}'}}
    put_template(api, template)
    to = {"email": "ada@example.com"}
    assert send(api, pipeline, {**to, "locale": "pt-BR"}) == "Seu pedido foi enviado"
    assert send(api, pipeline, {**to, "locale": "pt-PT"}) == "O seu pedido foi enviado"
    assert send(api, pipeline, to) == "Your order shipped"
    # A fuzzy translation is not used: the text stands.
    assert pipeline.email.sent[-1].rendered["text"] == "Thanks"


def test_the_translations_are_not_sent_on_as_a_pushs_data() -> None:
    api, pipeline = make_api()
    put_po(api, "pt", PO_PT)
    body = {
        "message": {
            "to": {"webhook": "https://hooks.example.com/x", "locale": "pt"},
            "content": {"title": '{{t "Your order shipped"}}', "body": "b"},
            "data": {"k": "v"},
        }
    }
    assert call(api, "POST", "/send", body).status == 202
    pipeline.drain()
    sent = [d for d in pipeline.webhook.sent][-1].rendered
    assert sent["title"] == "O seu pedido foi enviado"
    assert "$translations" not in json.dumps(sent["data"])
