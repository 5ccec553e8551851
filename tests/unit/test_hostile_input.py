"""Malformed and hostile input: each a 400 naming the field, never a 500, never stored.

JSON that Firestore cannot store or Herald cannot answer with (deep nesting, NaN,
Infinity, 1e400, lone surrogates, integers beyond 64 bits), values that break a
check written for ASCII, and ids that would name another or a reserved document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from herald.api.http import HttpResponse
from tests.unit.test_api import call, make_api

EMAIL_TO = {"email": "ada@example.com"}
CONTENT = {"title": "T", "body": "B"}


def send_raw(raw: str | bytes) -> HttpResponse:
    api, pipeline = make_api()
    response = call(api, "POST", "/send", raw.encode() if isinstance(raw, str) else raw)
    assert pipeline.messages.messages == {}, "nothing is stored from a refused request"
    return response


def send(message: dict[str, Any]) -> HttpResponse:
    return send_raw(json.dumps({"message": message}))


def refused_field(response: HttpResponse) -> str:
    assert response.status == 400, response.body
    field: str = response.body["errors"][0]["field"]
    return field


# Raw bodies, because json.dumps would not write most of these.
RAW_SENDS = {
    "50,000 levels of arrays": ("[" * 50_000 + "]" * 50_000, "body"),
    "40,000 levels of objects": ('{"a":' * 40_000 + "1" + "}" * 40_000, "body"),
    "65 levels inside data": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"}, "data": '
        + '{"a":' * 65
        + "1"
        + "}" * 65
        + "}}",
        "message.data" + ".a" * 62,
    ),
    "NaN": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"}, "data": {"n": NaN}}}',
        "message.data.n",
    ),
    "Infinity": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        ' "data": {"n": [1, Infinity]}}}',
        "message.data.n[1]",
    ),
    "-Infinity": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        ' "data": {"n": -Infinity}}}',
        "message.data.n",
    ),
    "1e400": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"}, "data": {"n": 1e400}}}',
        "message.data.n",
    ),
    "-1e400": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"}, "data": {"n": -1e400}}}',
        "message.data.n",
    ),
    "a 4,000-digit integer": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"}, "data": {"n": '
        + "9" * 4000
        + "}}}",
        "message.data.n",
    ),
    "2**63, one past int64": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        f' "data": {{"n": {2**63}}}}}}}',
        "message.data.n",
    ),
    "-2**63-1, one below int64": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        f' "data": {{"n": {-(2**63) - 1}}}}}}}',
        "message.data.n",
    ),
    "a lone high surrogate in the body": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x\\ud800y"}}}',
        "message.content.body",
    ),
    "a lone low surrogate in data": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        ' "data": {"s": "\\udc00"}}}',
        "message.data.s",
    ),
    "a lone surrogate in a key": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        ' "data": {"\\ud800": 1}}}',
        "message.data",
    ),
    "a timeout of 4,000 digits": (
        '{"message": {"to": {"email": "a@b.co"}, "content": {"body": "x"},'
        ' "timeout": {"provider": ' + "1" * 4000 + "}}}",
        "message.timeout.provider",
    ),
}


@pytest.mark.parametrize(("raw", "field"), RAW_SENDS.values(), ids=RAW_SENDS.keys())
def test_json_that_cannot_be_stored_or_echoed_is_a_400_naming_where(raw: str, field: str) -> None:
    assert refused_field(send_raw(raw)) == field


def test_int64_limits_themselves_are_accepted() -> None:
    api, _ = make_api()
    for n in (2**63 - 1, -(2**63)):
        body = {"message": {"to": EMAIL_TO, "content": CONTENT, "data": {"n": n}}}
        assert call(api, "POST", "/send", body).status == 202


def test_a_valid_surrogate_pair_is_text() -> None:
    api, _ = make_api()
    raw = b'{"message": {"to": {"email": "a@b.co"}, "content": {"body": "\\ud83d\\ude00"}}}'
    assert call(api, "POST", "/send", raw).status == 202


SENDS = {
    "timeout.provider 1e30": ({"timeout": {"provider": 1e30}}, "message.timeout.provider"),
    "timeout.channel past 30 days": (
        {"timeout": {"channel": {"email": 30 * 24 * 3600 * 1000 + 1}}},
        "message.timeout.channel",
    ),
    "providers.timeouts 1e30": (
        {"providers": {"smtp": {"timeouts": 1e30}}},
        "message.providers.smtp.timeouts",
    ),
    "timeout.message 1e30": ({"timeout": {"message": 1e30}}, "message.timeout.message"),
    "a NUL inside an email address": ({"to": {"email": "ada\x00@example.com"}}, "message.to.email"),
    "a NUL after an email address": ({"to": {"email": "ada@example.com\x00"}}, "message.to.email"),
    "a tab inside an email address": ({"to": {"email": "ada\t@example.com"}}, "message.to.email"),
    "a NUL inside a phone number": (
        {"to": {"phone_number": "+1415\x005550100"}},
        "message.to.phone_number",
    ),
    "a phone number of 65 characters": (
        {"to": {"phone_number": "+1 415 555 0100" + " " * 50}},
        "message.to.phone_number",
    ),
    "a user_id with /": ({"to": {"user_id": "ada/preferences"}}, "message.to.user_id"),
    "a user_id of ..": ({"to": {"user_id": ".."}}, "message.to.user_id"),
    "a user_id like __name__": ({"to": {"user_id": "__name__"}}, "message.to.user_id"),
    "a list_id with /": ({"to": {"list_id": "a/subscriptions/b"}}, "message.to.list_id"),
    "a list_id of .": ({"to": {"list_id": "."}}, "message.to.list_id"),
    "a list_id like __x__": ({"to": {"list_id": "__x__"}}, "message.to.list_id"),
    "a template id with /": (
        {"template": "a/b", "content": None},
        "message.template",
    ),
    "a template id like __x__": ({"template": "__x__", "content": None}, "message.template"),
    "a brand_id of ..": ({"brand_id": ".."}, "message.brand_id"),
    "a topic id like __x__": (
        {"preferences": {"subscription_topic_id": "__x__"}},
        "message.preferences.subscription_topic_id",
    ),
    "a data key like __name__": ({"data": {"__name__": 1}}, "message.data"),
    "an empty data key": ({"data": {"": 1}}, "message.data"),
    "a nested data key like __x__": ({"data": {"a": {"__x__": 1}}}, "message.data"),
    "a recipient's data key like __x__": (
        {"to": {"email": "a@b.co", "data": {"__x__": 1}}},
        "message.to.data",
    ),
}


@pytest.mark.parametrize(("change", "field"), SENDS.values(), ids=SENDS.keys())
def test_send_fields_that_would_break_storage_or_checks_are_a_400_naming_them(
    change: dict[str, Any], field: str
) -> None:
    message = {"to": EMAIL_TO, "content": CONTENT, **change}
    assert refused_field(send({k: v for k, v in message.items() if v is not None})) == field


OTHER_ROUTES: dict[str, tuple[str, str, Any, str]] = {
    "a recipientId with /": (
        "POST",
        "/lists/news/subscriptions",
        {"recipients": [{"recipientId": "ada/preferences/x"}]},
        "recipients[0].recipientId",
    ),
    "a recipientId of ..": (
        "PUT",
        "/lists/news/subscriptions",
        {"recipients": [{"recipientId": "ok"}, {"recipientId": ".."}]},
        "recipients[1].recipientId",
    ),
    "a recipientId like __name__": (
        "POST",
        "/lists/news/subscriptions",
        {"recipients": [{"recipientId": "__name__"}]},
        "recipients[0].recipientId",
    ),
    "a subscription's preferences key like __x__": (
        "POST",
        "/lists/news/subscriptions",
        {"recipients": [{"recipientId": "ada", "preferences": {"__x__": 1}}]},
        "recipients[0].preferences",
    ),
    "a list's preferences with a list in a list": (
        "PUT",
        "/lists/news",
        {"name": "News", "preferences": {"a": [[1]]}},
        "preferences",
    ),
    "a profile key like __name__": (
        "PUT",
        "/profiles/ada",
        {"profile": {"__name__": "x"}},
        "profile",
    ),
    "a profile with NaN": ("POST", "/profiles/ada", b'{"profile": {"n": NaN}}', "profile.n"),
    "a brand logo javascript: URL with {{": (
        "POST",
        "/brands",
        {
            "name": "Acme",
            "settings": {"email": {"header": {"logo": {"image": "javascript:alert(1)//{{x}}"}}}},
        },
        "settings.email.header.logo.image",
    ),
    "a brand logo that is only a template": (
        "POST",
        "/brands",
        {"name": "Acme", "settings": {"email": {"header": {"logo": {"image": "{{logo}}"}}}}},
        "settings.email.header.logo.image",
    ),
    "brand snippets with a key like __x__": (
        "POST",
        "/brands",
        {"name": "Acme", "snippets": {"__x__": "y"}},
        "snippets",
    ),
    "a template with a lone surrogate": (
        "PUT",
        "/templates/welcome",
        b'{"content": {"body": "\\udfff"}}',
        "content.body",
    ),
    "a webhook endpoint with Infinity": (
        "POST",
        "/webhooks/endpoints",
        b'{"url": "https://example.com/h", "description": Infinity}',
        "description",
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"), OTHER_ROUTES.values(), ids=OTHER_ROUTES.keys()
)
def test_every_route_refuses_such_input_naming_the_field(
    method: str, path: str, body: Any, field: str
) -> None:
    api, pipeline = make_api()
    assert refused_field(call(api, method, path, body)) == field
    assert pipeline.documents._documents == {}, "nothing was stored"


def test_sendgrid_events_go_through_the_same_parse() -> None:
    from herald.callbacks.sendgrid import events_of
    from herald.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        events_of(b'[{"event": "open", "timestamp": NaN}]')
    assert refused.value.errors[0].field == "[0].timestamp"
