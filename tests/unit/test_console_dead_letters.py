"""The console's dead letters: the workspace's, per consumer, previewed, then redriven; the
same service ``herald replay`` uses, built by the composition root."""

from __future__ import annotations

import re
from dataclasses import replace

from herald.events.envelope import EventEnvelope
from herald.publish.dead_letters import InMemoryDeadLetters, consumers
from tests.unit.fakes import Pipeline
from tests.unit.test_console import (
    HOSTILE,
    KEY,
    OTHER_KEY,
    form_token,
    make_pipeline,
    sent_message,
    signed_in,
    text,
)


def rendered_event(pipeline: Pipeline, message_id: str, workspace: str = "ws1") -> EventEnvelope:
    return next(
        event
        for event in pipeline.messages.outbox
        if event.message_id == message_id
        and event.workspace == workspace
        and event.type == "message.rendered"
    )


def dead_letters_of(pipeline: Pipeline) -> InMemoryDeadLetters:
    source = pipeline.adapters.dead_letters
    assert isinstance(source, InMemoryDeadLetters)
    return source


def redrive_form(page: str, consumer: str) -> dict[str, list[str]]:
    found = re.search(
        r'<form method="post" action="/console/dead-letters/redrive">(.*?)</form>', page, re.S
    )
    assert found, page
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', found[1]):
        fields.setdefault(name, []).append(value)
    assert fields["consumer"] == [consumer]
    return fields


def test_the_page_shows_the_workspaces_dead_letters_per_consumer_and_every_consumer() -> None:
    pipeline = make_pipeline()
    mine = sent_message(pipeline)
    theirs = sent_message(pipeline, key=OTHER_KEY)
    source = dead_letters_of(pipeline)
    source.add("deliver", rendered_event(pipeline, mine))
    source.add("deliver", rendered_event(pipeline, theirs, "ws2"))
    page = text(signed_in(pipeline).get("/console/dead-letters"))
    counts = dict(re.findall(r"<tr><td>(?:<a [^>]*>)?(\w+)(?:</a>)?</td><td>(\d+)</td></tr>", page))
    assert counts == {**dict.fromkeys(consumers(), "0"), "deliver": "1"}
    assert f'href="/console/messages/{mine}"' in page
    assert theirs not in page  # another workspace's letter is not shown, nor redriven
    assert redrive_form(page, "deliver")["event"] == [rendered_event(pipeline, mine).id]


def test_a_redrive_publishes_what_the_preview_showed_and_nothing_else() -> None:
    pipeline = make_pipeline()
    first, later = sent_message(pipeline), sent_message(pipeline)
    theirs = sent_message(pipeline, key=OTHER_KEY)
    source = dead_letters_of(pipeline)
    source.add("deliver", rendered_event(pipeline, first))
    source.add("deliver", rendered_event(pipeline, theirs, "ws2"))
    browser = signed_in(pipeline)
    page = text(browser.get("/console/dead-letters"))
    form = redrive_form(page, "deliver")
    # Arrived after the preview: not redriven with what the preview showed.
    source.add("deliver", rendered_event(pipeline, later))
    body = {"csrf": form["csrf"][0], "consumer": "deliver"}
    fields = [*body.items(), *(("event", e) for e in form["event"])]
    answer = browser.request("POST", "/console/dead-letters/redrive", fields, {})
    assert answer.status == 303
    assert answer.headers["location"] == "/console/dead-letters?redriven=1"
    assert [letter.event_id for letter in source.republished] == [
        rendered_event(pipeline, first).id
    ]
    left = {letter.message_id for letter in source.held[source.republished[0].subscription]}
    assert left == {later, theirs}
    done = text(browser.get("/console/dead-letters", redriven="1"))
    assert "1 dead letter(s) published again to their topics." in done


def test_a_redrive_needs_the_form_token_a_known_consumer_and_an_event() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    source = dead_letters_of(pipeline)
    event_id = source.add("deliver", rendered_event(pipeline, message_id)).event_id
    browser = signed_in(pipeline)
    token = form_token(text(browser.get("/console/dead-letters")))
    for form, status, named in (
        ({"csrf": "", "consumer": "deliver", "event": event_id}, 403, "token"),
        ({"csrf": "forged", "consumer": "deliver", "event": event_id}, 403, "token"),
        ({"csrf": token, "consumer": HOSTILE, "event": event_id}, 400, "consumer: not one of"),
        ({"csrf": token, "consumer": "deliver"}, 400, "event: name at least one"),
    ):
        answer = browser.post("/console/dead-letters/redrive", form)
        assert answer.status == status and named in text(answer), form
        assert "<script>" not in text(answer)
    assert source.republished == []


def test_another_workspaces_session_cannot_redrive_its_letters() -> None:
    pipeline = make_pipeline()
    theirs = sent_message(pipeline, key=OTHER_KEY)
    source = dead_letters_of(pipeline)
    event_id = source.add("deliver", rendered_event(pipeline, theirs, "ws2")).event_id
    browser = signed_in(pipeline, KEY)
    token = form_token(text(browser.get("/console/dead-letters")))
    answer = browser.post(
        "/console/dead-letters/redrive", {"csrf": token, "consumer": "deliver", "event": event_id}
    )
    assert answer.headers["location"] == "/console/dead-letters?redriven=0"
    assert source.republished == []
    assert [letter.event_id for held in source.held.values() for letter in held] == [event_id]


def test_herald_replay_and_the_console_share_the_service_of_the_composition_root() -> None:
    pipeline = make_pipeline()
    assert pipeline.services.dead_letters.source is pipeline.adapters.dead_letters


def test_a_letters_hostile_attributes_are_shown_as_text() -> None:
    pipeline = make_pipeline()
    message_id = sent_message(pipeline)
    source = dead_letters_of(pipeline)
    letter = source.add("deliver", rendered_event(pipeline, message_id))
    hostile = replace(
        letter,
        event_id=HOSTILE,
        message_id=HOSTILE,
        attributes={**letter.attributes, "event_id": HOSTILE},
    )
    source.held[letter.subscription] = [hostile]
    page = text(signed_in(pipeline).get("/console/dead-letters"))
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
