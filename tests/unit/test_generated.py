"""Committed artefacts generated from the code must match it."""

from pathlib import Path

import jsonschema

from herald_tools import generate

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schemas_and_terraform_events_are_fresh() -> None:
    assert generate.stale(ROOT) == [], "run ./herald generate and commit the result"


def test_the_send_schema_accepts_what_the_api_accepts_and_refuses_what_it_refuses() -> None:
    schema = generate.schemas()["api/send-request.json"]
    validator = jsonschema.Draft202012Validator(schema)
    good = {"message": {"to": {"email": "a@example.com"}, "content": {"body": "x"}}}
    many = {"message": {"to": [{"email": "a@example.com"}], "content": {"body": "x"}}}
    assert validator.is_valid(good) and validator.is_valid(many)
    assert not validator.is_valid({"message": {"to": {"email": "a@example.com"}}})
    assert not validator.is_valid({**good, "extra": 1})


def test_every_event_schema_is_a_valid_2020_12_schema() -> None:
    for path, schema in generate.schemas().items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"].endswith("2020-12/schema"), path
