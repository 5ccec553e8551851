"""The console through the HTTP layer, on in-memory stores: sign-in, sessions, forms'
tokens, the pages' headers, one workspace's pages closed to another, hostile text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode

import pytest

from herald.api.http import Api, HttpRequest, HttpResponse
from herald.api.routes import console as console_routes
from herald.console.pages import SECURITY_HEADERS
from herald.console.sessions import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    BadSession,
    ConsoleSessions,
    read_cookie,
)
from herald.domain.suppression import SuppressionReason
from herald.events.registry import EVENTS
from herald.ids import hash_api_key
from tests.unit.fakes import Pipeline, settings_with
from tests.unit.test_api import call

KEY, OTHER_KEY = "hk_console_one", "hk_console_two"
SECRET = "console-unit-secret"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ELEMENTAL = {
    "version": "2022-01-01",
    "elements": [{"type": "meta", "title": "Hello"}, {"type": "text", "content": "Body"}],
}
SEND = {
    "message": {
        "to": {"email": "ada@example.com"},
        "content": ELEMENTAL,
        "metadata": {"tags": ["billing"]},
    }
}


def make_pipeline(**settings: object) -> Pipeline:
    pipeline = Pipeline(settings=settings_with(link_secret=SECRET, **settings))
    pipeline.keys.put(hash_api_key(KEY), "ws1")
    pipeline.keys.put(hash_api_key(OTHER_KEY), "ws2")
    return pipeline


@dataclass
class Browser:
    """Keeps the cookies the console sets, as a browser does for its path."""

    api: Api
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | list[tuple[str, str]] | None,
        query: dict[str, str],
    ) -> HttpResponse:
        jar = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"cookie": jar} if jar else {}
        body = urlencode(form).encode() if form is not None else b""
        response = self.api.handle(HttpRequest(method, path, headers, body, query))
        if set_cookie := response.headers.get("set-cookie"):
            name, _, rest = set_cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in set_cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path: str, **query: str) -> HttpResponse:
        return self.request("GET", path, None, query)

    def post(self, path: str, form: dict[str, str]) -> HttpResponse:
        return self.request("POST", path, form, {})

    def sign_in(self, key: str = KEY) -> HttpResponse:
        page = text(self.get("/console/sign-in"))
        return self.post("/console/sign-in", {"key": key, "csrf": form_token(page)})


def text(response: HttpResponse) -> str:
    assert response.raw is not None
    return response.raw.decode()


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found, page
    return unescape(found[1])


def signed_in(pipeline: Pipeline, key: str = KEY) -> Browser:
    browser = Browser(pipeline.api)
    assert browser.sign_in(key).status == 303
    return browser


# --- sessions ------------------------------------------------------------------------------


def test_a_session_opens_until_it_expires() -> None:
    sessions = ConsoleSessions([SECRET], ttl_s=3600)
    value = sessions.issue("ws1", now_s=1_000)
    session = sessions.open(value, now_s=1_000 + 3599)
    assert (session.workspace, session.expires_s) == ("ws1", 4_600)
    with pytest.raises(BadSession, match="expired"):
        sessions.open(value, now_s=1_000 + 3600)


def test_a_tampered_session_or_another_deployments_is_refused() -> None:
    sessions = ConsoleSessions([SECRET], ttl_s=3600)
    value = sessions.issue("ws1")
    version, kid, payload, signature = value.split(".")
    other_payload = sessions.issue("ws2").split(".")[2]
    for tampered in (
        f"{version}.{kid}.{other_payload}.{signature}",  # another workspace, this signature
        f"{version}.{kid}.{payload}.{signature[:-2]}AA",
        f"{version}.{kid}.{payload}",
        f"v2.{kid}.{payload}.{signature}",
        value + "=",
        "x" * 2000,
        "",
    ):
        with pytest.raises(BadSession):
            sessions.open(tampered)
    with pytest.raises(BadSession):
        ConsoleSessions(["another-secret"], ttl_s=3600).open(value)


def test_sessions_signed_with_an_older_secret_open_while_it_is_listed() -> None:
    old = ConsoleSessions(["old-secret"], ttl_s=3600)
    rotated = ConsoleSessions.from_setting("new-secret, old-secret", ttl_s=3600)
    session = rotated.open(old.issue("ws1"))
    assert session.workspace == "ws1"
    assert rotated.check_csrf(session, old.csrf_token(session))


def test_the_form_token_belongs_to_one_session() -> None:
    sessions = ConsoleSessions([SECRET], ttl_s=3600)
    one, two = (sessions.open(sessions.issue("ws1")) for _ in range(2))
    assert sessions.check_csrf(one, sessions.csrf_token(one))
    assert not sessions.check_csrf(two, sessions.csrf_token(one))
    assert not sessions.check_csrf(one, "")


def test_the_cookie_is_httponly_strict_and_secure_except_on_the_local_stack() -> None:
    value = "v1.x.y.z"
    deployed = ConsoleSessions([SECRET], ttl_s=600).session_cookie(value)
    assert deployed.split("; ") == [
        f"{SESSION_COOKIE}={value}",
        "Path=/console",
        "Max-Age=600",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
    ]
    local = ConsoleSessions([SECRET], ttl_s=600, secure=False).session_cookie(value)
    assert "Secure" not in local and "HttpOnly" in local


def test_reading_a_cookie_takes_only_its_own_name_and_bounds_the_header() -> None:
    assert read_cookie("a=1; herald_console=v; b=2", "herald_console") == "v"
    assert read_cookie("xherald_console=v", "herald_console") is None
    assert read_cookie("herald_console=" + "v" * 10_000, "herald_console") is None
    assert read_cookie(None, "herald_console") is None


# --- sign-in -------------------------------------------------------------------------------


def test_signing_in_with_a_workspace_key_gives_a_session_cookie_without_the_key() -> None:
    browser = Browser(make_pipeline().api)
    assert browser.get("/console/messages").headers["location"] == "/console/sign-in"
    answer = browser.sign_in()
    assert (answer.status, answer.headers["location"]) == (303, "/console/messages")
    cookie = answer.headers["set-cookie"]
    assert KEY not in cookie and hash_api_key(KEY) not in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    assert browser.get("/console/messages").status == 200
    assert browser.get("/console/sign-in").headers["location"] == "/console/messages"


def test_a_wrong_key_or_a_form_without_its_token_signs_no_one_in() -> None:
    browser = Browser(make_pipeline().api)
    wrong = browser.sign_in("hk_nobody")
    assert wrong.status == 401 and "API key: this key is not valid." in text(wrong)
    assert SESSION_COOKIE not in browser.cookies
    page = text(browser.get("/console/sign-in"))
    refused = browser.post("/console/sign-in", {"key": KEY, "csrf": "forged"})
    assert refused.status == 403 and SESSION_COOKIE not in browser.cookies
    # Another browser's token (its nonce cookie is not this one's) is refused too.
    stranger = Browser(browser.api)
    assert stranger.post("/console/sign-in", {"key": KEY, "csrf": form_token(page)}).status == 403
    too_long = browser.post(
        "/console/sign-in",
        {"key": "k" * 300, "csrf": form_token(text(browser.get("/console/sign-in")))},
    )
    assert too_long.status == 400 and "API key: give a key of 1 to 256" in text(too_long)
    at_limit = browser.post(
        "/console/sign-in",
        {"key": "k" * 256, "csrf": form_token(text(browser.get("/console/sign-in")))},
    )
    assert at_limit.status == 401  # read, and not a key
    assert browser.cookies.keys() == {SIGN_IN_COOKIE}


def test_an_expired_or_tampered_session_goes_back_to_sign_in() -> None:
    pipeline = make_pipeline(console_session_hours=1.0)
    browser = signed_in(pipeline)
    sessions = pipeline.services.console
    assert sessions is not None
    browser.cookies[SESSION_COOKIE] = sessions.issue("ws1", now_s=0)  # expired long ago
    assert browser.get("/console/messages").headers["location"] == "/console/sign-in"
    version, kid, _, signature = signed_in(pipeline).cookies[SESSION_COOKIE].split(".")
    forged_payload = sessions.issue("ws2").split(".")[2]
    browser.cookies[SESSION_COOKIE] = f"{version}.{kid}.{forged_payload}.{signature}"
    assert browser.get("/console/messages").headers["location"] == "/console/sign-in"


def test_signing_out_clears_the_session_and_needs_the_form_token() -> None:
    browser = signed_in(make_pipeline())
    assert browser.post("/console/sign-out", {"csrf": "nope"}).status == 403
    assert SESSION_COOKIE in browser.cookies
    token = form_token(text(browser.get("/console/messages")))
    answer = browser.post("/console/sign-out", {"csrf": token})
    assert answer.status == 303 and "Max-Age=0" in answer.headers["set-cookie"]
    assert browser.get("/console/messages").status == 303


def test_without_a_link_secret_the_console_is_not_there() -> None:
    pipeline = Pipeline()
    for path in ("/console/sign-in", "/console/messages", "/console/events"):
        answer = Browser(pipeline.api).get(path)
        assert answer.status == 404 and "HERALD_LINK_SECRET" in text(answer)


# --- pages ---------------------------------------------------------------------------------


def sent_message(pipeline: Pipeline, key: str = KEY, send: object = SEND) -> str:
    answer = call(pipeline.api, "POST", "/send", send, key=key)
    assert answer.status == 202, answer.body
    pipeline.drain()
    request_id: str = answer.body["requestId"]
    return request_id


def test_every_page_and_redirect_carries_the_security_headers() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    browser = signed_in(pipeline)
    token = form_token(text(browser.get("/console/messages")))
    answers = [
        Browser(pipeline.api).get("/console/sign-in"),
        Browser(pipeline.api).get("/console/messages"),  # to sign in
        browser.get("/console"),
        browser.get("/console/messages"),
        browser.get("/console/messages", status="BOGUS"),
        browser.get(f"/console/messages/{message_id}"),
        browser.get("/console/messages/nope"),
        browser.get("/console/events"),
        browser.get("/console/functions/render"),
        browser.get("/console/functions/nope"),
        browser.get("/console/send"),
        browser.get("/console/suppressions"),
        browser.get("/console/dead-letters"),
        browser.get("/console/live/messages"),
        browser.get("/console/live/messages", to="not a time"),
        browser.get("/console/static/live.js"),
        browser.get("/console/static/template.js"),
        browser.get("/console/static/nope.js"),
        browser.post("/console/dead-letters/redrive", {"csrf": token, "consumer": "nobody"}),
        browser.post(f"/console/messages/{message_id}/webhook-replay", {"csrf": token}),
        browser.post("/console/send", {"csrf": token, "template": "t", "email": "x", "data": "["}),
        browser.post(
            "/console/suppressions/lift", {"csrf": token, "address": "nobody@example.com"}
        ),
        browser.post(f"/console/messages/{message_id}/cancel", {"csrf": "x"}),
        browser.post(f"/console/messages/{message_id}/resend", {"csrf": "x"}),
        browser.post(f"/console/messages/{message_id}/resend", {"csrf": token}),
        browser.post(f"/console/messages/{message_id}/cancel", {"csrf": token}),
    ]
    # Every GET page of the console is among them.
    gets = {r.template for r in console_routes.router.routes if r.method == "GET"}
    assert gets == {
        "/console/send",
        "/console/suppressions",
        "/console",
        "/console/sign-in",
        "/console/messages",
        "/console/messages/{message_id}",
        "/console/events",
        "/console/functions/{function}",
        "/console/dead-letters",
        "/console/live/messages",
        "/console/static/{script}",
    }
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            if name != "content-type":  # the list's JSON and its script have their own
                assert answer.headers[name] == value, (answer.status, name)
        assert answer.headers["content-type"] in (
            SECURITY_HEADERS["content-type"],
            "application/json",
            "text/javascript; charset=utf-8",
        )
    csp = SECURITY_HEADERS["content-security-policy"]
    # Herald's own script file only: nothing inline, nothing remote, nothing evaluated.
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert csp.count("'unsafe-") == 1 and "style-src 'unsafe-inline'" in csp
    assert "frame-ancestors 'none'" in csp


def test_the_list_filters_as_the_api_does_and_names_a_bad_filter() -> None:
    pipeline = make_pipeline()
    billing = sent_message(pipeline)
    other = sent_message(
        pipeline,
        send={
            "message": {"to": {"email": "bob@example.com"}, "content": {"title": "T", "body": "B"}}
        },
    )
    browser = signed_in(pipeline)
    everything = text(browser.get("/console/messages"))
    assert billing in everything and other in everything
    tagged = text(browser.get("/console/messages", tag="billing", recipient="", status=""))
    assert billing in tagged and other not in tagged
    by_recipient = text(browser.get("/console/messages", recipient="bob@example.com"))
    assert other in by_recipient and billing not in by_recipient
    bad = browser.get("/console/messages", status="BOGUS")
    assert bad.status == 400 and "status: &#39;BOGUS&#39; is not one of" in text(bad)


def test_the_list_pages_with_a_link_to_older_messages() -> None:
    pipeline = make_pipeline()
    sent = [sent_message(pipeline) for _ in range(console_routes.PAGE_SIZE + 1)]
    browser = signed_in(pipeline)
    first = text(browser.get("/console/messages", tag="billing"))
    link = re.search(r'href="(/console/messages\?[^"]*)" rel="next"', first)
    assert link and "tag=billing" in unescape(link[1])
    query = dict(part.split("=", 1) for part in unescape(link[1]).split("?", 1)[1].split("&"))
    second = text(browser.get("/console/messages", **query))
    assert sent[0] in second and sent[0] not in first
    assert 'rel="next"' not in second


def test_the_message_page_shows_its_timeline_providers_and_a_sandboxed_preview() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    page = text(signed_in(pipeline).get(f"/console/messages/{message_id}"))
    for history_type in ("ENQUEUED", "ROUTED", "RENDERED", "SENT"):
        assert f">{history_type}</span>" in page
    assert "fake-smtp" in page
    frames = re.findall(r"<iframe[^>]*>", page)
    assert len(frames) == 1
    assert 'sandbox=""' in frames[0] and 'srcdoc="' in frames[0]
    # The email's HTML is an attribute's text: its tags escaped, never the page's own.
    srcdoc = re.search(r'srcdoc="([^"]*)"', frames[0])
    assert srcdoc and "&lt;" in srcdoc[1] and "Hello" in unescape(srcdoc[1])
    assert "Cancel this message" not in page  # sent: too late


def test_a_cancel_needs_the_form_token_of_the_session() -> None:
    pipeline = make_pipeline()
    answer = call(pipeline.api, "POST", "/send", SEND, key=KEY)
    message_id = answer.body["requestId"]  # not drained: still ENQUEUED
    browser = signed_in(pipeline)
    page = text(browser.get(f"/console/messages/{message_id}"))
    assert "Cancel this message" in page
    other_session = signed_in(pipeline)
    foreign_token = form_token(text(other_session.get("/console/messages")))
    for token in ("", "forged", foreign_token):
        refused = browser.post(f"/console/messages/{message_id}/cancel", {"csrf": token})
        assert refused.status == 403
    assert (
        call(pipeline.api, "GET", f"/messages/{message_id}", key=KEY).body["status"] == "ENQUEUED"
    )
    done = browser.post(f"/console/messages/{message_id}/cancel", {"csrf": form_token(page)})
    assert done.headers["location"] == f"/console/messages/{message_id}?notice=canceled"
    assert (
        call(pipeline.api, "GET", f"/messages/{message_id}", key=KEY).body["status"] == "CANCELED"
    )
    again = browser.get(f"/console/messages/{message_id}", notice="canceled")
    assert "The message was canceled." in text(again)


def test_a_workspace_session_cannot_see_or_cancel_another_workspaces_messages() -> None:
    pipeline = make_pipeline()
    theirs = call(pipeline.api, "POST", "/send", SEND, key=OTHER_KEY).body["requestId"]
    browser = signed_in(pipeline, KEY)
    assert theirs not in text(browser.get("/console/messages"))
    assert browser.get(f"/console/messages/{theirs}").status == 404
    token = form_token(text(browser.get("/console/messages")))
    assert browser.post(f"/console/messages/{theirs}/cancel", {"csrf": token}).status == 404
    assert (
        call(pipeline.api, "GET", f"/messages/{theirs}", key=OTHER_KEY).body["status"] == "ENQUEUED"
    )


def test_hostile_values_are_shown_as_text() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(
        pipeline,
        send={
            "message": {
                "to": {"email": "ada@example.com"},
                "content": {
                    "version": "2022-01-01",
                    "elements": [
                        {"type": "meta", "title": HOSTILE},
                        {"type": "text", "content": HOSTILE},
                    ],
                },
                "metadata": {"trace_id": HOSTILE[:60], "tags": [HOSTILE[:30]]},
            }
        },
    )
    browser = signed_in(pipeline)
    for page in (
        text(browser.get("/console/messages")),
        text(browser.get(f"/console/messages/{message_id}")),
        text(browser.get("/console/messages", recipient=HOSTILE)),
    ):
        assert "<script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page or "\\u003cscript\\u003e" in page


def test_the_event_web_draws_every_registered_event() -> None:
    page = text(signed_in(make_pipeline()).get("/console/events"))
    for spec in EVENTS:
        assert f"<code>{spec.name}</code>" in page
        assert f">{spec.name}</text>" in page
    edges = sum(len(spec.producers) + len(spec.consumers) for spec in EVENTS)
    assert page.count("<line ") == edges


def test_lifting_a_suppression_needs_the_form_token_and_names_a_bad_address() -> None:
    pipeline = make_pipeline()
    pipeline.suppressions.add("ws1", "ada@example.com", SuppressionReason.BOUNCED, "sendgrid")
    pipeline.suppressions.add("ws2", "bob@example.com", SuppressionReason.BOUNCED, "sendgrid")
    browser = signed_in(pipeline)
    page = text(browser.get("/console/suppressions"))
    assert "ada@example.com" in page and "bob@example.com" not in page
    token = form_token(page)
    refused = browser.post(
        "/console/suppressions/lift", {"csrf": "x", "address": "ada@example.com"}
    )
    assert refused.status == 403
    assert pipeline.suppressions.find("ws1", "ada@example.com") is not None
    bad = browser.post("/console/suppressions/lift", {"csrf": token, "address": "not an address"})
    assert bad.status == 400 and "address: is not an email address" in text(bad)
    # Another workspace's entry is not this one's to lift.
    theirs = browser.post(
        "/console/suppressions/lift", {"csrf": token, "address": "bob@example.com"}
    )
    assert theirs.status == 404
    assert pipeline.suppressions.find("ws2", "bob@example.com") is not None
    lifted = browser.post(
        "/console/suppressions/lift", {"csrf": token, "address": "ada@example.com"}
    )
    assert lifted.headers["location"] == "/console/suppressions?notice=lifted"
    assert pipeline.suppressions.find("ws1", "ada@example.com") is None
    assert "The suppression was lifted" in text(
        browser.get("/console/suppressions", notice="lifted")
    )


def test_a_test_send_renders_the_template_with_the_sample_data_and_opens_the_message() -> None:
    pipeline = make_pipeline()
    template = {
        "content": {"title": "Hi {{name}}", "body": "Your code is {{code}}"},
        "routing": {"method": "single", "channels": ["email"]},
    }
    assert call(pipeline.api, "PUT", "/templates/welcome", template, key=KEY).status == 200
    browser = signed_in(pipeline)
    token = form_token(text(browser.get("/console/send")))
    form = {"template": "welcome", "email": "ada@example.com", "data": '{"name": "Ada", "code": 7}'}
    assert browser.post("/console/send", {**form, "csrf": "x"}).status == 403
    assert pipeline.messages.outbox == []
    not_object = browser.post("/console/send", {**form, "data": "[1]", "csrf": token})
    assert not_object.status == 400 and "data: must be a JSON object" in text(not_object)
    not_json = browser.post("/console/send", {**form, "data": "{", "csrf": token})
    assert not_json.status == 400 and "data:" in text(not_json)
    no_address = browser.post("/console/send", {**form, "email": "", "csrf": token})
    assert no_address.status == 400 and "message.to.email" in text(no_address)
    # The form comes back as it was posted, escaped.
    assert "welcome" in text(no_address)
    sent = browser.post("/console/send", {**form, "csrf": token})
    assert sent.status == 303
    message_id = sent.headers["location"].removeprefix("/console/messages/")
    pipeline.drain()
    page = text(browser.get(f"/console/messages/{message_id}"))
    assert "Hi Ada" in page and "Your code is 7" in page
    assert call(pipeline.api, "GET", f"/messages/{message_id}", key=KEY).body["status"] == "SENT"


def test_a_page_says_its_own_server_time_split_into_reads_and_rendering() -> None:
    pipeline = make_pipeline()
    browser = signed_in(pipeline)
    message_id = sent_message(pipeline)
    for path in ("/console/messages", f"/console/messages/{message_id}", "/console/live/messages"):
        timing = browser.get(path).headers["server-timing"]
        found = re.fullmatch(r"read;dur=([\d.]+), render;dur=([\d.]+), total;dur=([\d.]+)", timing)
        assert found, timing
        read, render, total = (float(v) for v in found.groups())
        assert abs(read + render - total) <= 0.2  # each rounded to a tenth
    # What has no session check carries none, nor one left by the request before it.
    assert Browser(pipeline.api).get("/console/messages").status == 303
    assert "server-timing" not in browser.get("/console/static/live.js").headers
    assert "server-timing" not in browser.get("/console/static/nope.js").headers
