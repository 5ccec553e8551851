"""The published response schemas describe what the API really answers: each view, built
from its model, reads back through the model and validates against its published schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from herald.api import models
from herald.domain import views
from herald_tools import generate
from tests.unit.test_api import call, make_api

SEND = {
    "message": {
        "to": [{"email": "ada@example.com"}, {"webhook": "https://example.com/hook"}],
        "content": {"title": "T", "body": "B"},
        "metadata": {"trace_id": "order-42"},
    }
}


def conforms(body: Any, schema_name: str, model: type[BaseModel]) -> None:
    """The body is valid for the model and for its published JSON Schema."""
    model.model_validate(body)
    jsonschema.Draft202012Validator(generate.schemas()[f"api/{schema_name}.json"]).validate(body)


def test_every_read_view_matches_its_model_and_schema() -> None:
    api, pipeline = make_api()
    accepted = call(api, "POST", "/send", SEND)
    conforms(accepted.body, "send-response", models.SendAccepted)
    request_id = accepted.body["requestId"]
    pipeline.drain()
    # A late copy of every event, so the history has ignored deliveries to describe too.
    message_id = pipeline.messages.get_request("ws1", request_id).message_ids[0]  # type: ignore[union-attr]
    for event in pipeline.messages.history("ws1", message_id):
        for consumer in ("render", "deliver"):
            pipeline.consumers[consumer](event)

    request = call(api, "GET", f"/requests/{request_id}")
    conforms(request.body, "request", views.RequestView)
    assert {m["status"] for m in request.body["messages"]} == {"SENT", "DELIVERED"}
    assert all(m["providers"] for m in request.body["messages"])

    message = call(api, "GET", f"/messages/{message_id}")
    conforms(message.body, "message", views.MessageView)

    history = call(api, "GET", f"/messages/{message_id}/history")
    conforms(history.body, "message-history", views.MessageHistory)
    assert history.body["results"] and history.body["ignored"]

    listed = call(api, "GET", "/messages", requestId=request_id)
    conforms(listed.body, "message-list", views.MessageList)
    assert len(listed.body["results"]) == 2


def test_error_answers_match_the_error_schema() -> None:
    api, _ = make_api()
    answers = [
        call(api, "POST", "/send", {"message": {"content": {"body": "x"}}}),
        call(api, "GET", "/messages/nope"),
        call(api, "GET", "/messages/nope", key="wrong"),
        call(api, "DELETE", "/send"),
    ]
    assert [a.status for a in answers] == [400, 404, 401, 405]
    for answer in answers:
        conforms(answer.body, "error", models.ErrorBody)
    assert answers[0].body["errors"]


def test_a_view_key_missing_from_its_model_is_refused() -> None:
    api, pipeline = make_api()
    request_id = call(
        api, "POST", "/send", {"message": SEND["message"] | {"to": {"email": "a@b.co"}}}
    ).body["requestId"]
    pipeline.drain()
    body: dict[str, Any] = call(api, "GET", f"/messages/{request_id}").body
    with pytest.raises(ValidationError):
        views.MessageView.model_validate({**body, "newKey": 1})
    without_a_key = {k: v for k, v in body.items() if k != "delivered"}
    with pytest.raises(ValidationError):
        views.MessageView.model_validate(without_a_key)
    schema = generate.schemas()["api/message.json"]
    assert not jsonschema.Draft202012Validator(schema).is_valid(without_a_key)


def test_each_response_model_has_a_published_schema() -> None:
    published = {path for path in generate.schemas() if path.startswith("api/")}
    assert {f"api/{name}.json" for name in models.RESPONSE_BODIES} <= published
