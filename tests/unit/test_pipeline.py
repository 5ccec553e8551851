"""The whole pipeline on in-memory stores: statuses, history, idempotency."""

from collections.abc import Callable

import pytest

from herald.clock import now_ms
from herald.config import AmbiguousPolicy
from herald.domain.deadline import Deadline
from herald.domain.message import ChannelOutcome
from herald.errors import PermanentProviderError, RetryableProviderError
from herald.events.envelope import EventEnvelope
from herald.providers.base import Dispatch, Receipt
from herald.store.base import AttemptBusy, AttemptState, SummaryQuery, WorkspaceSettings
from tests.unit.fakes import FakeProvider, Pipeline, settings_with

WS = "ws1"


def send(pipeline: Pipeline, message: dict[str, object]) -> str:
    return pipeline.sending.send(WS, {"message": message})


def test_an_email_send_renders_and_ends_sent() -> None:
    p = Pipeline()
    rid = send(
        p,
        {
            "to": {"email": "ada@example.com"},
            "content": {"title": "Hi {{name}}", "body": "Your code is {{code}}"},
            "data": {"name": "Ada", "code": "123456"},
        },
    )
    p.drain()
    view = p.reader.message(WS, rid)
    assert view["id"] == rid
    assert view["status"] == "SENT"
    assert view["enqueued"] <= view["sent"]
    assert [d.rendered for d in p.email.sent] == [
        {"subject": "Hi Ada", "text": "Your code is 123456"}
    ]
    history = [h["type"] for h in p.reader.history(WS, rid)["results"]]
    assert history == ["ENQUEUED", "ROUTED", "RENDERED", "SENT"]


def test_a_webhook_answering_2xx_ends_delivered() -> None:
    p = Pipeline()
    rid = send(p, {"to": {"webhook": {"url": "http://127.0.0.1:1/h"}}, "content": {"body": "x"}})
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["delivered"] is not None) == ("DELIVERED", True)


def test_each_recipient_gets_its_own_message_and_per_recipient_data() -> None:
    p = Pipeline()
    rid = send(
        p,
        {
            "to": [
                {"email": "a@example.com", "data": {"name": "A"}},
                {"email": "b@example.com"},
                {"email": "c@example.com", "data": {"name": "C"}},
            ],
            "content": {"title": "Hi {{name}}", "body": "."},
            "data": {"name": "you"},
        },
    )
    p.drain()
    request = p.reader.request(WS, rid)
    ids = [m["id"] for m in request["messages"]]
    assert len(set(ids)) == 3 and rid not in ids
    assert sorted(d.rendered["subject"] for d in p.email.sent) == ["Hi A", "Hi C", "Hi you"]
    listed = p.reader.list(WS, SummaryQuery(request_id=rid, limit=10))["results"]
    assert sorted(m["status"] for m in listed) == ["SENT"] * 3


def test_no_channel_for_the_recipient_ends_unroutable() -> None:
    p = Pipeline()
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "routing": {"method": "single", "channels": ["webhook"]},
        },
    )
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNROUTABLE", "NO_CHANNELS")
    assert p.email.calls == 0


def test_a_permanent_provider_error_fails_over_to_the_next_channel() -> None:
    p = Pipeline()
    p.email.fail_with = PermanentProviderError("550 no such user", "fake-smtp")
    rid = send(
        p,
        {
            "to": {"email": "a@example.com", "webhook": "http://127.0.0.1:1/h"},
            "content": {"body": "x"},
            "routing": {"method": "single", "channels": ["email", "webhook"]},
        },
    )
    p.drain()
    view = p.reader.message(WS, rid)
    assert view["status"] == "DELIVERED"
    assert [r["status"] for r in view["providers"]] == ["FAILED", "DELIVERED"]


def test_a_permanent_error_on_the_only_channel_ends_undeliverable() -> None:
    p = Pipeline()
    p.email.fail_with = PermanentProviderError("550 no such user", "fake-smtp")
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "PROVIDER_ERROR")
    assert "550" in view["error"]


def test_routing_all_sends_on_every_channel() -> None:
    p = Pipeline()
    send(
        p,
        {
            "to": {"email": "a@example.com", "webhook": "http://127.0.0.1:1/h"},
            "content": {"body": "x"},
            "routing": {"method": "all", "channels": ["email", "webhook"]},
        },
    )
    p.drain()
    assert (len(p.email.sent), len(p.webhook.sent)) == (1, 1)


def test_a_retryable_error_is_acked_and_retried_through_the_durable_timer() -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("connection refused", "fake-smtp", "", 90.0)
    p.email.fail_before_handoff = True
    started = now_ms()
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()  # no exception: the push is acked, nothing slows the subscription
    attempt = p.attempts.attempts[(WS, rid, "email-fake-smtp")]
    assert (attempt.state, attempt.tries, attempt.lease_owner) == (AttemptState.PREPARED, 1, "")
    [timer] = p.timers.entries.values()
    assert timer.envelope.type == "message.rendered"
    assert timer.due_ms >= started + 90_000  # the provider's Retry-After wins over the backoff
    assert p.reader.message(WS, rid)["status"] == "ROUTED"
    # When the timer fires and the provider is back, it is sent once.
    p.email.fail_with = None
    assert p.fire_timers() == 1
    assert p.reader.message(WS, rid)["status"] == "SENT"
    assert len(p.email.sent) == 1


def test_duplicate_events_change_nothing() -> None:
    p = Pipeline()
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    before = p.reader.message(WS, rid)
    for event in p.messages.history(WS, rid):
        for consumer in ("render", "deliver"):
            p.consumers[consumer](event)
    p.drain()
    assert p.reader.message(WS, rid) == before
    assert len(p.messages.history(WS, rid)) == 4
    assert len(p.email.sent) == 1
    # ... but each late copy is written down beside the history, once per consumer and event.
    ignored = p.reader.history(WS, rid)["ignored"]
    assert {(i["consumer"], i["type"], i["status"]) for i in ignored} >= {
        ("render", "ENQUEUED", "SENT"),
        ("deliver", "RENDERED", "SENT"),
    }
    assert len(ignored) == len({(i["consumer"], i["eventId"]) for i in ignored})


@pytest.mark.parametrize(
    ("policy", "status", "calls"),
    [
        (AmbiguousPolicy.ASSUME_SENT, "SENT", 0),
        (AmbiguousPolicy.FAIL, "UNDELIVERABLE", 0),
        (AmbiguousPolicy.RESEND, "SENT", 1),
    ],
)
def test_an_attempt_left_dispatching_follows_the_policy(
    policy: AmbiguousPolicy, status: str, calls: int
) -> None:
    p = Pipeline(settings_with(ambiguous_policy=policy))
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    # Run up to deliver, then leave the attempt as a crash after the handoff would.
    p.consumers = {**p.consumers, "deliver": lambda event: None}
    p.drain()
    attempt = p.attempts.claim(WS, rid, "email-fake-smtp", "email", "crashed-run", 60_000)
    attempt.state = AttemptState.DISPATCHING
    attempt.release()  # as if its lease had run out
    p.attempts.save(WS, rid, attempt)
    rendered = next(e for e in p.messages.history(WS, rid) if e.type == "message.rendered")
    p.restart()  # a fresh deliver
    p.consumers["deliver"](rendered)
    view = p.reader.message(WS, rid)
    assert view["status"] == status
    if policy != AmbiguousPolicy.RESEND:
        assert view["reason"] == "OUTCOME_UNKNOWN"
    assert p.email.calls == calls


def test_an_ambiguous_provider_answer_is_not_resent() -> None:
    from herald.errors import AmbiguousProviderError

    p = Pipeline()
    p.email.fail_with = AmbiguousProviderError("timed out after DATA", "fake-smtp")
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("SENT", "OUTCOME_UNKNOWN")
    assert view["providers"][0]["status"] == ChannelOutcome.UNKNOWN.value
    assert p.email.calls == 1


def test_workspaces_do_not_see_each_other() -> None:
    from herald.errors import NotFound

    p = Pipeline()
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    with pytest.raises(NotFound):
        p.reader.message("another-workspace", rid)


def rendered_event(p: Pipeline, rid: str) -> EventEnvelope:
    return next(e for e in p.messages.history(WS, rid) if e.type == "message.rendered")


def test_a_concurrent_duplicate_backs_off_while_the_first_delivery_works() -> None:
    p = Pipeline()
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    duplicate_outcome: list[BaseException] = []

    def duplicate_arrives_mid_call(dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        try:
            p.consumers["deliver"](rendered_event(p, rid))
        except AttemptBusy as exc:
            duplicate_outcome.append(exc)
        handoff()
        return Receipt(ChannelOutcome.SENT)

    p.email.send = duplicate_arrives_mid_call  # type: ignore[method-assign]
    p.drain()
    assert len(duplicate_outcome) == 1
    assert p.reader.message(WS, rid)["status"] == "SENT"


def test_an_unexpected_error_before_the_handoff_is_retried_then_given_up() -> None:
    p = Pipeline()
    p.email.fail_with = ZeroDivisionError("bug")  # type: ignore[assignment]
    p.email.fail_before_handoff = True
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    fired = 0
    while p.fire_timers():  # every retry until the budget of 20 tries is spent
        fired += 1
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "PROVIDER_ERROR")
    assert "gave up after 20 tries: bug" in view["error"]
    assert (p.email.calls, fired) == (20, 20)


def test_an_unexpected_error_after_the_handoff_is_an_unknown_outcome() -> None:
    p = Pipeline()
    p.email.fail_with = ZeroDivisionError("bug")  # type: ignore[assignment]
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("SENT", "OUTCOME_UNKNOWN")
    assert p.email.calls == 1


def test_with_routing_all_a_retrying_channel_does_not_hold_back_the_others() -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("421 busy", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(
        p,
        {
            "to": {"email": "a@example.com", "webhook": "http://127.0.0.1:1/h"},
            "content": {"body": "x"},
            "routing": {"method": "all", "channels": ["email", "webhook"]},
        },
    )
    p.drain()
    assert len(p.webhook.sent) == 1
    assert p.reader.message(WS, rid)["status"] == "ROUTED"  # email still to come
    p.email.fail_with = None
    p.fire_timers()
    assert p.reader.message(WS, rid)["status"] == "DELIVERED"
    assert (len(p.email.sent), len(p.webhook.sent)) == (1, 1)


def test_resend_policy_retries_an_ambiguous_answer() -> None:
    from herald.errors import AmbiguousProviderError

    p = Pipeline(settings_with(ambiguous_policy=AmbiguousPolicy.RESEND))
    p.email.fail_with = AmbiguousProviderError("timed out after DATA", "fake-smtp")
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    p.email.fail_with = None
    assert p.fire_timers() == 1
    assert p.reader.message(WS, rid)["status"] == "SENT"
    assert p.email.calls == 2


def test_a_permanent_failure_fails_over_to_the_next_provider_of_the_channel() -> None:
    backup = FakeProvider("fake-sendgrid", "email")
    p = Pipeline(extra=[backup])
    p.email.fail_with = PermanentProviderError("535 auth", "fake-smtp")
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    view = p.reader.message(WS, rid)
    assert view["status"] == "SENT"
    assert [(r["provider"], r["status"]) for r in view["providers"]] == [
        ("fake-smtp", "FAILED"),
        ("fake-sendgrid", "SENT"),
    ]
    assert len(backup.sent) == 1


def test_a_workspace_chooses_its_providers_and_their_order() -> None:
    backup = FakeProvider("fake-sendgrid", "email")
    p = Pipeline(extra=[backup])
    p.workspaces.save_settings(WS, WorkspaceSettings(providers={"email": ["fake-sendgrid"]}))
    send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    assert (len(backup.sent), p.email.calls) == (1, 0)


def test_a_channel_without_a_provider_ends_no_providers() -> None:
    p = Pipeline()
    rid = send(p, {"to": {"phone_number": "+14155550100"}, "content": {"body": "x"}})
    p.drain()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "NO_PROVIDERS")


def test_sms_push_and_chat_recipients_are_routed_and_rendered_for_their_channel() -> None:
    sms, push, chat = (
        FakeProvider("fake-twilio", "sms"),
        FakeProvider("fake-fcm", "push"),
        FakeProvider("fake-slack", "chat"),
    )
    p = Pipeline(extra=[sms, push, chat])
    send(
        p,
        {
            "to": {
                "phone_number": "+14155550100",
                "firebaseToken": "tok-1",
                "slack": {"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/X"}},
            },
            "content": {"title": "Hi {{n}}", "body": "code {{c}}"},
            "data": {"n": "Ada", "c": 7},
            "routing": {"method": "all", "channels": ["sms", "push", "chat"]},
        },
    )
    p.drain()
    assert sms.sent[0].rendered == {"text": "Hi Ada\ncode 7"}
    assert sms.sent[0].recipient["phone_number"] == "+14155550100"
    assert push.sent[0].rendered["title"] == "Hi Ada"
    assert push.sent[0].recipient["firebaseToken"] == "tok-1"
    assert chat.sent[0].rendered == {"text": "*Hi Ada*\ncode 7"}


def test_a_message_that_runs_out_of_time_ends_undeliverable() -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    [timer] = p.timers.entries.values()
    message = p.messages.messages[(WS, rid)]
    deliver = p.consumers["deliver"].__self__  # type: ignore[attr-defined]
    deadline = Deadline.of_message(message, deliver.policy.timeouts)
    assert timer.due_ms <= deadline.message_ms  # never scheduled past the timeout
    p.messages.messages[(WS, rid)] = message.model_copy(update={"enqueued_ms": 0})  # 72 h ago
    p.fire_timers()
    view = p.reader.message(WS, rid)
    assert view["status"] == "UNDELIVERABLE"
    assert "timed out" in view["error"]


def test_the_ambiguity_policy_can_differ_per_channel() -> None:
    from herald.errors import AmbiguousProviderError

    p = Pipeline(settings_with(channel_policies={"webhook": AmbiguousPolicy.FAIL}))
    p.email.fail_with = AmbiguousProviderError("no answer", "fake-smtp")
    p.webhook.fail_with = AmbiguousProviderError("no answer", "fake-webhook")
    by_mail = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    by_hook = send(p, {"to": {"webhook": "http://127.0.0.1:1/h"}, "content": {"body": "x"}})
    p.drain()
    assert p.reader.message(WS, by_mail)["status"] == "SENT"  # the default: assume sent
    assert p.reader.message(WS, by_hook)["status"] == "UNDELIVERABLE"  # webhook: fail


def age(p: Pipeline, rid: str, **attempt_first_tries: int) -> None:
    """Moves first tries into the past, as if the failures had gone on that long."""
    for (_, mid, attempt_id), attempt in p.attempts.attempts.items():
        if mid == rid and attempt_id in attempt_first_tries:
            attempt.first_try_ms = now_ms() - attempt_first_tries[attempt_id]


def test_courier_provider_timeout_fails_over_to_the_next_provider() -> None:
    backup = FakeProvider("fake-sendgrid", "email")
    p = Pipeline(extra=[backup])
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "timeout": {"provider": 60_000},
        },
    )
    p.drain()
    assert p.reader.message(WS, rid)["status"] == "ROUTED"
    [timer] = p.timers.entries.values()
    assert timer.due_ms <= now_ms() + 60_000  # never waits past the provider's timeout
    age(p, rid, **{"email-fake-smtp": 61_000})
    p.fire_timers()
    view = p.reader.message(WS, rid)
    assert view["status"] == "SENT"
    assert [(r["provider"], r["status"]) for r in view["providers"]] == [
        ("fake-smtp", "FAILED"),
        ("fake-sendgrid", "SENT"),
    ]
    assert "the provider timed out" in view["providers"][0]["error"]


def test_courier_channel_timeout_moves_on_to_the_next_channel() -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(
        p,
        {
            "to": {"email": "a@example.com", "webhook": "http://127.0.0.1:1/h"},
            "content": {"body": "x"},
            "timeout": {"channel": 5_000},
            "routing": {"method": "single", "channels": ["email", "webhook"]},
        },
    )
    p.drain()
    age(p, rid, **{"email-fake-smtp": 6_000})
    p.fire_timers()
    view = p.reader.message(WS, rid)
    assert view["status"] == "DELIVERED"
    assert "the channel timed out" in view["providers"][0]["error"]


def test_the_message_timeout_can_be_set_per_send() -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "timeout": {"message": 60_000},
        },
    )
    p.drain()
    [timer] = p.timers.entries.values()
    message = p.messages.messages[(WS, rid)]
    assert timer.due_ms <= message.enqueued_ms + 60_000  # not past its own timeout
    # A minute later (moved back, not waited for), the retry finds the time run out.
    p.messages.messages[(WS, rid)] = message.model_copy(
        update={"enqueued_ms": message.enqueued_ms - 61_000}
    )
    p.fire_timers()
    view = p.reader.message(WS, rid)
    assert (view["status"], view["reason"]) == ("UNDELIVERABLE", "PROVIDER_ERROR")
    assert "the message timed out" in view["error"]


def test_a_provider_over_its_rate_limit_waits_on_the_timer_without_spending_a_try() -> None:
    from herald.pipeline.ratelimit import RateLimiter

    p = Pipeline()
    deliver = p.consumers["deliver"].__self__  # type: ignore[attr-defined]
    deliver.limiter = RateLimiter({"fake-smtp": 1.0})
    first = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    second = send(p, {"to": {"email": "b@example.com"}, "content": {"body": "x"}})
    p.drain()
    assert p.reader.message(WS, first)["status"] == "SENT"
    assert p.reader.message(WS, second)["status"] == "ROUTED"
    [timer] = p.timers.entries.values()
    assert timer.message_id == second and "rate limit" in timer.reason
    assert timer.due_ms - timer.created_ms <= 1_000  # the bucket's wait, not the backoff
    assert p.attempts.attempts[(WS, second, "email-fake-smtp")].tries == 0


def test_a_delayed_message_waits_on_the_timer_then_goes_out() -> None:
    p = Pipeline()
    rid = send(
        p,
        {"to": {"email": "a@example.com"}, "content": {"body": "x"}, "delay": {"duration": 60_000}},
    )
    p.drain()
    message = p.messages.messages[(WS, rid)]
    assert (message.status, p.email.calls) == ("DELAYED", 0)
    [timer] = p.timers.entries.values()
    assert timer.due_ms == message.not_before_ms == message.enqueued_ms + 60_000
    p.fire_timers()  # early: it only waits again
    assert p.messages.messages[(WS, rid)].status == "DELAYED"
    p.messages.messages[(WS, rid)] = p.messages.messages[(WS, rid)].model_copy(
        update={"not_before_ms": now_ms() - 1}  # the minute has passed
    )
    p.fire_timers()
    assert p.reader.message(WS, rid)["status"] == "SENT"
    history = [h["type"] for h in p.reader.history(WS, rid)["results"]]
    assert history == ["ENQUEUED", "DELAYED", "ROUTED", "RENDERED", "SENT"]


def test_a_workspace_may_allow_webhook_destinations_on_private_addresses() -> None:
    p = Pipeline()
    send(p, {"to": {"webhook": "http://10.1.2.3/h"}, "content": {"body": "x"}})
    p.workspaces.save_settings("trusting", WorkspaceSettings(allow_private_destinations=True))
    p.sending.send(
        "trusting", {"message": {"to": {"webhook": "http://10.1.2.3/h"}, "content": {"body": "x"}}}
    )
    p.drain()
    assert [d.allow_private for d in p.webhook.sent] == [False, True]


def test_a_redelivery_before_the_backoff_is_over_spends_no_try_and_calls_nothing() -> None:
    p = Pipeline()
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()
    attempt = p.attempts.attempts[(WS, rid, "email-fake-smtp")]
    assert attempt.tries == 1 and attempt.retry_at_ms is not None
    p.consumers["deliver"](rendered_event(p, rid))  # a re-drive or a copy, too early
    assert (p.email.calls, p.attempts.attempts[(WS, rid, "email-fake-smtp")].tries) == (1, 1)
    assert len(p.timers.entries) == 2  # it simply comes back when the backoff is over


def test_a_retry_scheduled_while_its_timer_fires_is_not_lost() -> None:
    from herald.pipeline.relaying import RelayService
    from herald.pipeline.sweeping import SweepService
    from herald.publish.memory import InMemoryPublisher
    from herald.store.memory import InMemorySweep

    p = Pipeline()
    p.email.fail_with = RetryableProviderError("503", "fake-smtp")
    p.email.fail_before_handoff = True
    rid = send(p, {"to": {"email": "a@example.com"}, "content": {"body": "x"}})
    p.drain()

    class Delivering(InMemoryPublisher):
        """Hands each published event to deliver at once: the retry is rescheduled
        before the sweep removes the timer it fired."""

        def publish(self, topic: str, data: bytes, attributes: dict[str, str]) -> str:
            for attempt in p.attempts.attempts.values():
                attempt.retry_at_ms = None
            p.consumers["deliver"](rendered_event(p, rid))
            return super().publish(topic, data, attributes)

    sweep = SweepService(
        InMemorySweep(p.messages),
        p.messages,
        RelayService(p.messages, Delivering()),
        p.timers,
        unpublished_after_ms=10**9,
        stuck_after_ms=10**9,
    )
    for entry in p.timers.entries.values():
        entry.due_ms = 0  # due now
    assert sweep.fire_timers(now_ms()) == 1
    assert len(p.timers.entries) == 1  # the new retry survived the removal of the old timer
    assert p.email.calls == 2


def test_a_long_delay_does_not_use_up_the_message_timeout() -> None:
    p = Pipeline()
    rid = send(
        p,
        {
            "to": {"email": "a@example.com"},
            "content": {"body": "x"},
            "delay": {"duration": 5 * 24 * 3600 * 1000},
        },
    )  # longer than the 72 h
    p.drain()
    message = p.messages.messages[(WS, rid)]
    deliver = p.consumers["deliver"].__self__  # type: ignore[attr-defined]
    assert message.not_before_ms is not None
    deadline = Deadline.of_message(message, deliver.policy.timeouts)
    assert deadline.message_ms == message.not_before_ms + 72 * 3600 * 1000
