from herald.events.registry import EVENTS, spec_for
from herald.topology import FUNCTIONS, Trigger


def test_topics_and_subscriptions_are_unique_and_valid_pubsub_names() -> None:
    names = [s.topic for s in EVENTS] + [s.subscription(c) for s in EVENTS for c in s.consumers]
    assert len(names) == len(set(names))
    for name in names:
        assert 3 <= len(name) <= 255 and name[0].isalpha() and name.isascii()


def test_every_producer_and_consumer_is_a_function_of_the_right_kind() -> None:
    kinds = {f.name: f.trigger for f in FUNCTIONS}
    for spec in EVENTS:
        assert spec.producer in kinds
        for consumer in spec.consumers:
            assert kinds[consumer] == Trigger.PUBSUB, (spec.name, consumer)


def test_every_pubsub_function_consumes_something() -> None:
    for function in FUNCTIONS:
        if function.trigger == Trigger.PUBSUB:
            assert function.subscriptions(), function.name


def test_history_types_are_unique() -> None:
    assert len({s.history_type for s in EVENTS}) == len(EVENTS)
    assert spec_for("message.sent").history_type == "SENT"
