import datetime
import time
from typing import Any

import pytest

from herald.errors import ValidationFailed
from herald.pipeline.accepting import parse_send

CONTENT = {"title": "Hi", "body": "Hello"}


def errors_of(body: Any) -> dict[str, str]:
    """Each refused field and why; empty when the body is accepted."""
    try:
        parse_send(body)
    except ValidationFailed as refused:
        return {e.field: e.reason for e in refused.errors}
    return {}


def test_a_valid_single_recipient_send_parses() -> None:
    request = parse_send({"message": {"to": {"email": "ada@example.com"}, "content": CONTENT}})
    assert [r.email for r in request.message.recipients()] == ["ada@example.com"]


def test_the_body_must_be_an_object_with_a_message() -> None:
    assert errors_of([1, 2]) == {"body": "must be a JSON object"}
    assert errors_of({}) == {"message": "is required"}


def test_a_bad_email_is_named_by_its_path() -> None:
    errors = errors_of({"message": {"to": {"email": "not-an-address"}, "content": CONTENT}})
    assert errors == {"message.to.email": "is not an email address"}


def test_list_recipients_are_named_with_their_index() -> None:
    to = [{"email": "a@example.com"}, {"email": "nope"}]
    errors = errors_of({"message": {"to": to, "content": CONTENT}})
    assert errors == {"message.to[1].email": "is not an email address"}


def test_a_recipient_needs_an_address() -> None:
    errors = errors_of({"message": {"to": {"data": {"a": 1}}, "content": CONTENT}})
    assert errors == {
        "message.to": "a recipient needs a user_id, list_id, tenant_id, audience_id, email,"
        " phone_number, firebaseToken, slack, ms_teams or webhook"
    }


def test_unsupported_courier_fields_are_refused_by_name() -> None:
    message = {
        "to": {"user_id": "u1", "list_pattern": "t"},
        "content": CONTENT,
        "channels": {"email": {"override": {"from": "x@example.com"}}},
        "providers": {"sendgrid": {"metadata": {}}},
    }
    assert errors_of({"message": message}) == {
        "message.to.list_pattern": "is a Courier field Herald does not support yet",
        "message.channels.email.override.from": "is a Courier field Herald does not support yet",
        "message.providers.sendgrid.metadata": "is a Courier field Herald does not support yet",
    }


def test_courier_s_pagerduty_recipient_is_refused_as_not_yet_supported() -> None:
    message = {"to": {"pagerduty": {"routing_key": "R0123"}}, "content": CONTENT}
    assert errors_of({"message": message}) == {
        "message.to.pagerduty": "is a Courier field Herald does not support yet"
    }


def test_content_or_a_template_but_not_both() -> None:
    both = {"to": {"user_id": "u1"}, "template": "T1", "content": CONTENT}
    neither = {"to": {"user_id": "u1"}}
    for message in (both, neither):
        assert errors_of({"message": message}) == {
            "message": "give either content or a template, not both and not neither"
        }


def test_a_list_recipient_takes_only_the_list_and_data() -> None:
    errors = errors_of({"message": {"to": {"list_id": "l", "email": "a@b.co"}, "content": CONTENT}})
    assert errors == {"message.to": "a list recipient takes only list_id and data"}


def test_nested_routing_errors_name_the_innermost_field() -> None:
    routing = {"method": "single", "channels": ["email", {"method": "all", "channels": ["fax"]}]}
    errors = errors_of(
        {"message": {"to": {"email": "a@example.com"}, "content": CONTENT, "routing": routing}}
    )
    assert list(errors) == ["message.routing.channels[1].channels[0]"]


def test_tags_are_at_most_nine_of_thirty_characters() -> None:
    def tags_error(tags: list[str]) -> dict[str, str]:
        metadata = {"tags": tags}
        return errors_of(
            {
                "message": {
                    "to": {"email": "a@example.com"},
                    "content": CONTENT,
                    "metadata": metadata,
                }
            }
        )

    assert tags_error(["t"] * 9) == {}
    assert list(tags_error(["t"] * 10)) == ["message.metadata.tags"]
    assert list(tags_error(["x" * 31])) == ["message.metadata.tags[0]"]


def test_timeouts_take_one_figure_or_one_per_name() -> None:
    def timeout_error(timeout: dict[str, object]) -> dict[str, str]:
        return errors_of(
            {"message": {"to": {"email": "a@example.com"}, "content": CONTENT, "timeout": timeout}}
        )

    assert timeout_error({"channel": 1000, "provider": {"sendgrid": 500}}) == {}
    assert list(timeout_error({"channel": {"email": 0}})) == ["message.timeout.channel"]


def test_unknown_fields_are_refused() -> None:
    errors = errors_of({"message": {"to": {"email": "a@example.com"}, "content": CONTENT, "x": 1}})
    assert errors == {"message.x": "is not a known field"}


def test_routing_method_and_channels_are_checked() -> None:
    routing = {"method": "some", "channels": ["email", "pigeon"]}
    errors = errors_of(
        {"message": {"to": {"email": "a@example.com"}, "content": CONTENT, "routing": routing}}
    )
    assert set(errors) == {"message.routing.method", "message.routing.channels[1]"}


def test_webhook_urls_must_be_absolute_http() -> None:
    errors = errors_of({"message": {"to": {"webhook": "ftp://x"}, "content": CONTENT}})
    assert errors == {"message.to.webhook.url": "must be an absolute http:// or https:// URL"}


def test_at_most_1000_recipients() -> None:
    to = [{"email": f"u{i}@example.com"} for i in range(1001)]
    assert "message.to" in errors_of({"message": {"to": to, "content": CONTENT}})


@pytest.mark.parametrize(
    ("to", "field", "reason_part"),
    [
        ({"email": "zoë@example.com"}, "message.to.email", "ASCII"),
        ({"webhook": "http://user:pw@example.com/h"}, "message.to.webhook.url", "credentials"),
        ({"webhook": "http://example.com:99999/h"}, "message.to.webhook.url", "port"),
        (
            {"webhook": {"url": "http://example.com/h", "headers": {"x-a": "1\r\nx-b: 2"}}},
            "message.to.webhook.headers",
            "control character",
        ),
        (
            {"webhook": {"url": "http://example.com/h", "headers": {"bad name": "1"}}},
            "message.to.webhook.headers",
            "HTTP token",
        ),
        ({"email": "a@example.com", "data": {"m": [[1, 2]]}}, "message.to.data", "list"),
    ],
)
def test_what_cannot_be_delivered_or_stored_is_refused_up_front(
    to: dict[str, Any], field: str, reason_part: str
) -> None:
    errors = errors_of({"message": {"to": to, "content": CONTENT}})
    assert field in errors and reason_part in errors[field], errors


def test_sms_push_and_chat_addresses_are_accepted_and_checked() -> None:
    request = parse_send(
        {
            "message": {
                "to": {
                    "phone_number": "+14155550100",
                    "firebaseToken": "abc",
                    "slack": {"incoming_webhook": {"url": "https://hooks.slack.com/services/x"}},
                },
                "content": CONTENT,
            }
        }
    )
    [to] = request.message.recipients()
    assert (to.phone_number, to.firebase_token) == ("+14155550100", "abc")
    errors = errors_of({"message": {"to": {"phone_number": "0800 123"}, "content": CONTENT}})
    assert "cannot be read as a phone number" in errors["message.to.phone_number"]


def test_delay_takes_a_duration_or_an_iso_time_with_its_zone() -> None:
    def with_delay(delay: dict[str, Any]) -> dict[str, Any]:
        return {"message": {"to": {"email": "a@example.com"}, "content": CONTENT, "delay": delay}}

    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    request = parse_send(with_delay({"until": soon.isoformat(), "duration": 1000}))
    assert request.message.delay is not None
    now = int(time.time() * 1000)
    assert request.message.delay.due_ms(now) == int(soon.timestamp() * 1000)  # the later one
    far = errors_of(with_delay({"until": "2099-01-01T00:00:00Z"}))
    assert "30 days" in far["message.delay.until"]
    errors = errors_of(with_delay({"until": "tomorrow", "duration": -5}))
    assert "ISO 8601" in errors["message.delay.until"]
    assert "message.delay.duration" in errors
