"""The api function's WSGI application: the quota first, then Herald's own answer, written
to the server as Flask wrote it."""

from __future__ import annotations

import io
from typing import Any

import flask
from werkzeug.test import Client, EnvironBuilder

from herald.api.http import Api, HttpResponse
from herald.entrypoints.wsgi import ApiApplication
from tests.unit.fakes import settings_with
from tests.unit.test_api import KEY, SEND, make_api

AUTH = {"Authorization": f"Bearer {KEY}"}


class Counted(ApiApplication):
    """The application, counting the requests the quota let through to the api."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.received = 0
        receive = api.receive

        def counting(*args: Any) -> HttpResponse:
            self.received += 1
            return receive(*args)

        api.receive = counting  # type: ignore[method-assign,assignment]


class Answering(ApiApplication):
    """The application answering ``response`` to anything: how an answer is written."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(make_api()[0])
        self.response = response

    def respond(self, environ: dict[str, Any]) -> HttpResponse:
        return self.response


def limited(burst: int) -> tuple[Client, Counted]:
    app = Counted(make_api(settings_with(quota_rate=0.001, quota_burst=burst))[0])
    return Client(app), app


def test_a_request_over_the_quota_is_refused_before_the_api_receives_it() -> None:
    client, app = limited(burst=2)
    answers = [client.post("/send", json=SEND, headers=AUTH) for _ in range(3)]
    # Let through once counted: the api's own check does not count them again.
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert app.received == 2
    refused = answers[2]
    assert refused.json == {
        "type": "rate_limit_error",
        "message": "over this workspace's quota; retry after `Retry-After` seconds",
    }
    assert refused.headers["Content-Type"] == "application/json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_what_the_quota_cannot_judge_goes_on_uncounted_to_be_answered() -> None:
    client, app = limited(burst=1)
    assert client.post("/send", json=SEND, headers={"Authorization": "Bearer no"}).status_code == (
        401
    )
    assert client.get("/messages", headers=AUTH).status_code == 200
    assert client.post("/nowhere/é", headers=AUTH).status_code == 404
    assert app.received == 3
    # None of them took the burst's one request.
    assert client.post("/send", json=SEND, headers=AUTH).status_code == 202


def test_a_json_answer_has_its_type_and_length_and_the_api_s_headers() -> None:
    client, _ = limited(burst=10)
    answer = client.post("/send", json=SEND, headers=AUTH)
    assert answer.status_code == 202
    assert answer.headers["Content-Type"] == "application/json"
    assert int(answer.headers["Content-Length"]) == len(answer.data)
    assert answer.json is not None and set(answer.json) == {"requestId"}
    assert answer.headers["X-RateLimit-Limit"] == "10"


def test_the_query_keeps_every_value_of_a_repeated_parameter() -> None:
    client, _ = limited(burst=10)
    assert client.get("/messages?status=SENT", headers=AUTH).status_code == 200
    # The second value is read too: it is the one refused.
    refused = client.get("/messages?status=SENT&status=NOPE", headers=AUTH)
    assert refused.status_code == 400 and refused.json is not None
    assert refused.json["errors"][0]["field"] == "status"
    assert "'NOPE'" in refused.json["errors"][0]["reason"]


def test_a_body_declared_too_large_is_refused_unread_and_streamed() -> None:
    class Unreadable(io.RawIOBase):
        def readinto(self, buffer: Any) -> int:
            raise AssertionError("the refused body was read")

    app = ApiApplication(make_api()[0])
    environ = EnvironBuilder(
        path="/send", method="POST", headers=[*AUTH.items(), ("Content-Type", "application/json")]
    ).get_environ()
    environ["CONTENT_LENGTH"] = str(29 * 1024 * 1024)
    environ["wsgi.input"] = Unreadable()
    started: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(app(environ, lambda status, headers: started.append((status, headers))))
    status, headers = started[0]
    assert status == "413 Request Entity Too Large"
    assert b'"field": "body"' in body
    # No length: the server sends it without reading the body the client declared.
    assert "content-length" not in {name.lower() for name, _ in headers}


def test_raw_bytes_keep_their_type_or_are_html() -> None:
    typed = Client(Answering(HttpResponse(200, None, {"content-type": "text/xml"}, raw=b"<a/>")))
    answer = typed.get("/x")
    assert (answer.data, answer.headers["Content-Type"]) == (b"<a/>", "text/xml")
    assert answer.headers["Content-Length"] == "4"
    page = Client(Answering(HttpResponse(200, None, raw=b"<p>hi</p>"))).get("/x")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"


def test_no_content_and_head_answers_have_no_body() -> None:
    empty = Client(Answering(HttpResponse(204, None, {"x-a": "1"}))).delete("/x")
    assert (empty.status_code, empty.data, empty.headers["x-a"]) == (204, b"", "1")
    head = Client(Answering(HttpResponse(200, {"a": 1}))).head("/x")
    assert (head.status_code, head.data) == (200, b"")


def test_an_error_that_escapes_the_api_is_a_500_in_courier_s_shape() -> None:
    class Failing(ApiApplication):
        def respond(self, environ: dict[str, Any]) -> HttpResponse:
            raise RuntimeError("boom")

    answer = Client(Failing(make_api()[0])).get("/messages")
    assert answer.status_code == 500
    assert answer.json == {"type": "api_error", "message": "internal error; it was logged"}


def test_the_flask_handler_answers_through_the_same_application() -> None:
    app = ApiApplication(make_api()[0])
    with flask.Flask(__name__).test_request_context(
        "/send", method="POST", json=SEND, headers=AUTH
    ):
        answer = flask.Response.from_app(app, flask.request.environ)
    assert answer.status_code == 202
    assert set(answer.get_json()) == {"requestId"}
