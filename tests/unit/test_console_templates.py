"""The console's templates: the list, a template's page, its preview with sample data
through the sandbox (an error's line and column shown in place), and saving it."""

from __future__ import annotations

import json
import re
from html import unescape

from herald.api.routes import console_templates
from herald.console.pages import SECURITY_HEADERS
from herald.resources.templates import MAX_TEMPLATE_BODY
from tests.unit.fakes import Pipeline
from tests.unit.test_api import call
from tests.unit.test_console import (
    ELEMENTAL,
    HOSTILE,
    KEY,
    OTHER_KEY,
    Browser,
    form_token,
    make_pipeline,
    signed_in,
    text,
)

TEMPLATE = {
    "name": "Welcome",
    "content": {"title": "Hi {{name}}", "body": "Your code is {{code}}."},
    "routing": {"method": "single", "channels": ["email"]},
}


def put_template(
    pipeline: Pipeline, template_id: str, body: object = TEMPLATE, key: str = KEY
) -> None:
    answer = call(pipeline.api, "PUT", f"/templates/{template_id}", body, key=key)
    assert answer.status == 200, answer.body


def stored(pipeline: Pipeline, template_id: str, key: str = KEY) -> dict[str, object]:
    answer = call(pipeline.api, "GET", f"/templates/{template_id}", key=key)
    assert answer.status == 200
    body: dict[str, object] = answer.body
    return body


def edit(browser: Browser, template_id: str, **fields: str) -> tuple[int, str]:
    page = text(browser.get(f"/console/templates/{template_id}"))
    answer = browser.post(f"/console/templates/{template_id}", {"csrf": form_token(page), **fields})
    return answer.status, text(answer) if answer.raw else ""


def test_the_list_shows_the_workspaces_templates_their_names_as_text() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome", {**TEMPLATE, "name": HOSTILE})
    put_template(pipeline, "theirs", key=OTHER_KEY)
    page = text(signed_in(pipeline).get("/console/templates"))
    assert 'href="/console/templates/welcome"' in page and "theirs" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_preview_renders_the_edited_title_and_body_with_the_sample_data() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    page = text(browser.get("/console/templates/welcome"))
    assert 'value="Hi {{name}}"' in page and "Your code is {{code}}." in page
    status, preview = edit(
        browser,
        "welcome",
        title="Hello {{name}}",
        body="Code: {{code}}",
        data='{"name": "Grace", "code": "4711"}',
        action="preview",
    )
    assert status == 200
    assert "<strong>Subject:</strong> Hello Grace" in preview and "Code: 4711" in preview
    # A preview changes nothing.
    assert stored(pipeline, "welcome")["content"] == TEMPLATE["content"]


def test_a_syntax_error_is_shown_with_its_line_and_column_in_place() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    status, page = edit(
        browser, "welcome", title="Hi", body="Hello\n  {{#if ok}}open", data="{}", action="preview"
    )
    assert status == 400
    problem = re.search(r'<div role="alert" id="problem">(.*?)</div>', page, re.S)
    assert problem, page
    assert "body, line 2, column" in problem[1]
    source = re.search(r'<pre tabindex="0" class="source-line"[^>]*>(.*?)</pre>', problem[1], re.S)
    assert source
    line, caret = unescape(source[1]).split("\n")
    assert line == "  {{#if ok}}open" and caret.strip() == "^"
    column = int(re.search(r"column (\d+)", problem[1])[1])  # type: ignore[index]
    assert len(caret) == column
    assert 'id="body" name="body" rows="10" cols="80" aria-invalid="true"' in page


def test_hostile_template_text_and_data_are_shown_as_text() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    status, page = edit(
        browser,
        "welcome",
        title=HOSTILE,
        body="{{x}}",
        data='{"x": "' + HOSTILE.replace('"', "'") + '"}',
        action="preview",
    )
    assert status == 200
    assert "<script>" not in page and "<img src=x" not in page


def test_saving_needs_the_form_token_keeps_the_rest_of_the_template_and_checks_syntax() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    fields = {"title": "New {{name}}", "body": "New\r\nbody", "data": "{}", "action": "save"}
    for token in ("", "forged"):
        answer = browser.post("/console/templates/welcome", {"csrf": token, **fields})
        assert answer.status == 403
    assert stored(pipeline, "welcome")["content"] == TEMPLATE["content"]
    page = text(browser.get("/console/templates/welcome"))
    answer = browser.post("/console/templates/welcome", {"csrf": form_token(page), **fields})
    assert answer.headers["location"] == "/console/templates/welcome?notice=saved"
    saved = stored(pipeline, "welcome")
    # The textarea's CRLF, as a browser posts it, kept as the line end that was typed.
    assert saved["content"] == {"title": "New {{name}}", "body": "New\nbody"}
    assert saved["name"] == "Welcome" and saved["routing"] == TEMPLATE["routing"]
    status, refused = edit(browser, "welcome", title="{{", body="b", data="{}", action="save")
    assert status == 400 and "title, line 1, column" in refused
    assert stored(pipeline, "welcome")["content"]["title"] == "New {{name}}"  # type: ignore[index]


def test_bad_sample_data_and_an_oversized_body_are_named() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    for data, named in (("[1]", "data: must be a JSON object"), ("{", "data:")):
        status, page = edit(browser, "welcome", title="t", body="b", data=data, action="preview")
        assert status == 400 and named in page, data
    status, page = edit(
        browser, "welcome", title="t", body="x" * (MAX_TEMPLATE_BODY + 1), data="{}", action="save"
    )
    assert status == 400 and "body: the title and body must be at most 256 KiB" in page
    status, _ = edit(
        browser, "welcome", title="t", body="x" * (console_templates.FORM_LIMIT + 1), data="{}"
    )
    assert status == 413


def test_an_elemental_template_is_previewed_in_a_sandboxed_frame_and_not_edited_here() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "designed", {"content": ELEMENTAL})
    browser = signed_in(pipeline)
    page = text(browser.get("/console/templates/designed"))
    frames = re.findall(r"<iframe[^>]*>", page)
    assert len(frames) == 1 and 'sandbox=""' in frames[0]
    assert 'name="body"' not in page and "Subject:</strong> Hello" in page
    status, refused = edit(browser, "designed", data="{}", action="save")
    assert status == 400 and "Elemental template is edited through PUT" in refused


def test_another_workspaces_template_is_not_there() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "theirs", key=OTHER_KEY)
    browser = signed_in(pipeline)
    assert browser.get("/console/templates/theirs").status == 404
    token = form_token(text(browser.get("/console/templates")))
    answer = browser.post(
        "/console/templates/theirs", {"csrf": token, "title": "x", "body": "y", "action": "save"}
    )
    assert answer.status == 404
    assert stored(pipeline, "theirs", OTHER_KEY)["content"] == TEMPLATE["content"]


def test_the_template_pages_carry_the_security_headers_and_need_a_session() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    answers = [
        browser.get("/console/templates"),
        browser.get("/console/templates/welcome"),
        browser.get("/console/templates/nope"),
        browser.post("/console/templates/welcome", {"csrf": "x"}),
    ]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (answer.status, name)
    gets = {r.template for r in console_templates.router.routes if r.method == "GET"}
    assert gets == {"/console/templates", "/console/templates/{template_id}"}
    for path in gets:
        anonymous = Browser(pipeline.api).get(path.replace("{template_id}", "welcome"))
        assert anonymous.headers["location"] == "/console/sign-in"


def live(browser: Browser, template_id: str, **fields: str) -> tuple[int, dict[str, object]]:
    page = text(browser.get(f"/console/templates/{template_id}"))
    answer = browser.post(
        f"/console/templates/{template_id}/preview", {"csrf": form_token(page), **fields}
    )
    assert answer.headers["content-type"] == "application/json" and answer.raw is not None
    body: dict[str, object] = json.loads(answer.raw)
    return answer.status, body


def test_the_page_loads_its_preview_script_and_names_its_json_twin() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    page = text(signed_in(pipeline).get("/console/templates/welcome"))
    assert '<script src="/console/static/template.js" defer></script>' in page
    assert 'data-preview="/console/templates/welcome/preview"' in page
    assert len(re.findall(r"<script", page)) == 1  # no inline script


def test_the_json_preview_renders_as_typed_and_places_a_mistake() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    browser = signed_in(pipeline)
    status, shown = live(
        browser,
        "welcome",
        title="Hi {{name}}",
        body="Code {{code}}",
        data='{"name": "Ada", "code": 7}',
    )
    assert status == 200 and shown["problem"] is None
    assert (shown["subject"], shown["text"]) == ("Hi Ada", "Code 7")
    status, shown = live(browser, "welcome", title="Hi", body="one\r\n{{#each}}", data="{}")
    assert status == 200
    problem = shown["problem"]
    assert isinstance(problem, dict)
    assert (problem["part"], problem["line"], problem["sourceLine"]) == ("body", 2, "{{#each}}")
    assert problem["caret"] == " " * (int(problem["column"]) - 1) + "^"
    status, shown = live(browser, "welcome", title="t", body="b", data="[]")
    assert status == 400 and shown["error"] == "data: must be a JSON object"
    assert stored(pipeline, "welcome")["content"] == TEMPLATE["content"]  # nothing saved


def test_the_json_preview_needs_the_token_and_the_workspaces_template() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "welcome")
    put_template(pipeline, "theirs", key=OTHER_KEY)
    browser = signed_in(pipeline)
    refused = browser.post("/console/templates/welcome/preview", {"csrf": "forged", "body": "x"})
    assert refused.status == 403
    status, shown = live(browser, "theirs", title="t", body="b", data="{}")
    assert status == 404 and "no such template" in str(shown["error"])


def test_the_json_preview_of_an_elemental_template_is_its_email() -> None:
    pipeline = make_pipeline()
    put_template(pipeline, "designed", {"content": ELEMENTAL})
    status, shown = live(signed_in(pipeline), "designed", data="{}")
    assert status == 200 and shown["subject"] == "Hello" and "Body" in str(shown["html"])
