"""The public pages: escaped, accessible, without script."""

from __future__ import annotations

from herald.domain.audience import SubscriptionTopic, UserTopicChoice
from herald.engagement.choices import TopicRow, choice_for, row_for
from herald.engagement.pages import confirm_unsubscribe_page, preferences_page

HOSTILE = '"><script>alert(1)</script>'


def test_every_text_and_attribute_is_escaped() -> None:
    row = TopicRow("news", HOSTILE, False, ("email",), frozenset({"email"}))
    page = preferences_page([row], f"https://h.test/preferences/{HOSTILE}", HOSTILE, error=HOSTILE)
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") == 4  # legend, action, nonce, the alert
    confirm = confirm_unsubscribe_page(HOSTILE, "https://h.test/u", "https://h.test/p")
    assert "<script>" not in confirm and "&lt;script&gt;" in confirm


def test_the_page_is_a_labelled_form_with_a_fieldset_per_topic() -> None:
    rows = [
        TopicRow("a", "Alpha", False, ("email", "sms"), frozenset({"sms"})),
        TopicRow("b", "Beta", True, ("email",), frozenset({"email"})),
    ]
    page = preferences_page(rows, "https://h.test/p", "n0nce", saved=True)
    assert '<html lang="en">' in page and "<title>Your preferences</title>" in page
    assert page.count("<fieldset>") == 2 and "<legend>Alpha</legend>" in page
    for field_id in ("topic-0-email", "topic-0-sms", "topic-1-email"):
        assert f'id="{field_id}"' in page and f'<label for="{field_id}">' in page
    assert 'name="t:a" value="sms" checked>' in page and 'name="t:a" value="email">' in page
    assert 'value="email" checked disabled aria-describedby="topic-1-note"' in page
    assert '<input type="hidden" name="shown" value="a">' in page
    assert 'name="shown" value="b"' not in page  # nothing of a REQUIRED topic is saved
    assert '<p role="status">' in page and "<script" not in page
    assert preferences_page([], "https://h.test/p", "n").count("<form") == 0


def test_switches_map_to_courier_choices() -> None:
    topic = SubscriptionTopic(topic_id="a", topic_name="A")
    row = row_for("a", topic, None, by_address=False)
    assert row.on == frozenset(row.channels) == {"email", "sms", "push", "direct_message"}
    assert choice_for(row, set()) == UserTopicChoice(status="OPTED_OUT")
    assert choice_for(row, set(row.channels)) == UserTopicChoice(status="OPTED_IN")
    narrowed = choice_for(row, {"sms", "email", "webhook"})
    assert (narrowed.has_custom_routing, narrowed.custom_routing) == (True, ["email", "sms"])
    back = row_for("a", topic, narrowed, by_address=False)
    assert back.on == {"email", "sms"}
    opt_in = SubscriptionTopic(topic_id="b", default_status="OPTED_OUT", allowed_channels=["sms"])
    assert row_for("b", opt_in, None, by_address=False).on == frozenset()
    assert row_for("b", opt_in, None, by_address=False).channels == ("sms",)
    assert row_for("a", topic, None, by_address=True).channels == ("email",)
