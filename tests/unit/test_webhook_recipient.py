"""Courier's webhook recipient: ``authentication`` (basic, bearer) and ``profile``, taken
at send and handed to the provider, or refused with the field named."""

from __future__ import annotations

from typing import Any

import pytest

from herald.domain.send import MAX_CREDENTIAL_CHARS
from tests.unit.test_api import call, make_api

URL = "https://hooks.example/in"


def send_to(webhook: dict[str, Any]) -> dict[str, Any]:
    return {"message": {"to": {"webhook": webhook}, "content": {"title": "T", "body": "B"}}}


def test_authentication_and_profile_reach_the_provider() -> None:
    api, pipeline = make_api()
    webhook = {
        "url": URL,
        "authentication": {"mode": "bearer", "token": "tok"},
        "profile": "expanded",
        "headers": None,  # Courier's SDK sends null for what it was not given
        "method": None,
    }
    answer = call(api, "POST", "/send", send_to(webhook))
    assert answer.status == 202, answer.body
    pipeline.drain()
    [dispatch] = pipeline.webhook.sent
    assert dispatch.recipient["webhook"] == {
        "url": URL,
        "authentication": {"mode": "bearer", "token": "tok"},
        "profile": "expanded",
    }


@pytest.mark.parametrize(
    ("authentication", "reason"),
    [
        ({"mode": "bearer"}, "mode bearer needs token"),
        ({"mode": "basic", "username": "ada"}, "mode basic needs password"),
        ({"mode": "bearer", "token": "t", "password": "p"}, "mode bearer takes no password"),
        ({"mode": "none", "token": "t"}, "mode none takes no token"),
        ({"mode": "bearer", "token": "a b"}, "token must be a bearer token"),
        ({"mode": "bearer", "token": "a\r\nx-evil: 1"}, "token must be a bearer token"),
        ({"mode": "basic", "username": "a:b", "password": "p"}, "username must have no ':'"),
        ({"mode": "basic", "username": "a", "password": "p\n"}, "password must have no control"),
        ({"mode": "bearer", "token": "t" * (MAX_CREDENTIAL_CHARS + 1)}, "at most 4096"),
        ({"mode": "digest"}, "'none', 'basic' or 'bearer'"),
    ],
)
def test_authentication_that_cannot_be_sent_is_refused(
    authentication: dict[str, str], reason: str
) -> None:
    api, _ = make_api()
    answer = call(api, "POST", "/send", send_to({"url": URL, "authentication": authentication}))
    assert answer.status == 400
    [error] = answer.body["errors"]
    assert error["field"].startswith("message.to.webhook.authentication"), error
    assert reason in error["reason"]


def test_a_bearer_token_at_its_limit_is_taken() -> None:
    api, _ = make_api()
    token = {"mode": "bearer", "token": "t" * MAX_CREDENTIAL_CHARS}
    assert call(api, "POST", "/send", send_to({"url": URL, "authentication": token})).status == 202


def test_an_authorization_header_beside_authentication_is_refused() -> None:
    api, _ = make_api()
    webhook = {
        "url": URL,
        "headers": {"Authorization": "Bearer x"},
        "authentication": {"mode": "bearer", "token": "y"},
    }
    answer = call(api, "POST", "/send", send_to(webhook))
    assert (answer.status, answer.body["errors"][0]["field"]) == (400, "message.to.webhook")
    none = {**webhook, "authentication": {"mode": "none"}}
    assert call(api, "POST", "/send", send_to(none)).status == 202


def test_an_unknown_profile_is_refused() -> None:
    api, _ = make_api()
    answer = call(api, "POST", "/send", send_to({"url": URL, "profile": "full"}))
    assert (answer.status, answer.body["errors"][0]["field"]) == (
        400,
        "message.to.webhook.profile",
    )
