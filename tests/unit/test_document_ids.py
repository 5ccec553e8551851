"""The document-id rule, over thousands of generated strings: every id the API takes is
one Firestore takes as a single document id, and every string Firestore would refuse
(or read as a longer path) is refused by the API and by the store."""

from __future__ import annotations

import random

import pytest

from herald.domain.send import check_identifier
from herald.resources.preferences import address_choice_path
from herald.store.documents import InMemoryDocuments, check_doc_path, document_id_problem
from tests.unit.test_api import call, make_api

# Characters chosen to hit every rule: separators, dots, underscores, non-ASCII,
# controls, and the characters Courier ids use.
ALPHABET = [*"aZ09._-/@+|:~ %\\`#?", "é", "\x00", "\n", "💥", "\ud800", "\uff46"]
CASES = 5000


def generated(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    values = ["", ".", "..", "...", "/", "__x__", "__", "___", "_x_", "a" * 256, "a" * 257]
    values += ["a" * 1500, "a" * 1501, "é" * 751]  # 1,502 bytes
    for _ in range(CASES):
        length = rng.choice([1, 2, 3, 5, 8, 40, 300])
        text = "".join(rng.choice(ALPHABET) for _ in range(length))
        shape = rng.random()
        if shape < 0.1:
            text = f"__{text}__"  # Firestore's reserved form
        elif shape < 0.15:
            text = "." * rng.randint(1, 3)
        values.append(text)
    return values


def accepted(value: str) -> bool:
    try:
        check_identifier(value)
    except ValueError:
        return False
    return True


def test_every_id_the_api_accepts_is_one_firestore_document_id() -> None:
    values = generated()
    taken = [v for v in values if accepted(v)]
    assert len(taken) > 100, "the generator reaches the accepted side too"
    assert [v for v in taken if document_id_problem(v)] == []


def test_every_string_firestore_would_refuse_is_refused_by_the_api_and_the_store() -> None:
    values = generated(seed=11)
    bad = [v for v in values if document_id_problem(v) is not None]
    assert len(bad) > 1000
    assert [v for v in bad if accepted(v)] == []
    store = InMemoryDocuments()
    for value in bad:
        with pytest.raises(ValueError):
            store.put("ws", ("profiles", value), {"x": 1})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is empty"),
        (".", "is '.'"),
        ("..", "is '..'"),
        ("a/b", "contains '/'"),
        ("__name__", "reserves"),
        ("__", None),  # too short to be __.*__: two underscores overlap
        ("___", None),
        ("____", "reserves"),
        ("__x", None),
        ("x__", None),
        ("a" * 1500, None),
        ("a" * 1501, "longer than 1500 bytes"),
        ("é" * 750, None),
        ("é" * 751, "longer than 1500 bytes"),
    ],
)
def test_the_rule_at_its_edges(value: str, problem: str | None) -> None:
    found = document_id_problem(value)
    assert (found is None) if problem is None else (problem in (found or ""))
    if problem is not None:
        with pytest.raises(ValueError):
            check_doc_path(("lists", value))


def test_subscription_recipient_ids_are_checked_over_the_same_generated_strings() -> None:
    api, pipeline = make_api()
    values = [v for v in generated(seed=3)[:600] if "\ud800" not in v]
    for value in values:
        body = {"recipients": [{"recipientId": value}]}
        response = call(api, "POST", "/lists/news/subscriptions", body)
        if accepted(value):
            assert response.status == 204, value
        else:
            assert response.status == 400, value
            assert response.body["errors"][0]["field"] == "recipients[0].recipientId"
    stored = {path[-1] for _, path in pipeline.documents._documents if len(path) == 4}
    assert stored and all(document_id_problem(v) is None for v in stored)


def test_an_email_address_as_a_document_id_never_takes_a_reserved_form() -> None:
    for address in ("__ada@example.com__", "a/b@example.com", "Ada@Example.com"):
        check_doc_path(address_choice_path(address, "billing"))
