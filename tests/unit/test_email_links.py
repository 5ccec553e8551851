"""The render stage's email links: one-click unsubscribe, the footer, and tracking."""

from __future__ import annotations

from typing import Any

from herald.domain.audience import SubscriptionTopic
from herald.domain.message import MessageState
from herald.engagement.email import EmailLinks
from herald.engagement.links import LinkMaker
from herald.engagement.tokens import LinkSigner
from herald.engagement.tracking import before_body_end, track_links
from herald.templating import Budget

SIGNER = LinkSigner(["unit-secret"])
LINKS = LinkMaker("https://herald.test/", SIGNER)
MESSAGE = MessageState(
    id="m-1",
    workspace="ws1",
    request_id="m-1",
    recipient={"email": "ada@example.com"},
    content={},
    enqueued_ms=1,
)
HTML = (
    "<html><body>"
    '<p><a href="https://shop.example/item?a=1&amp;b=2">Item</a> '
    "<a href='mailto:help@example.com'>Help</a> "
    '<a href="#top">Top</a> <a class="x" href="http://docs.example/">Docs</a></p>'
    "</body></html>"
)


def token_of(url: str, purpose: Any) -> Any:
    return SIGNER.verify(url.rsplit("/", 1)[-1], purpose)


def test_http_links_go_through_signed_click_links_that_carry_the_original() -> None:
    clicks: list[str] = []

    def click_url(link: str) -> str:
        clicks.append(link)
        return f"https://herald.test/track/click/{len(clicks)}?x=<&>"

    tracked = track_links(HTML, click_url, Budget())
    # The original, unescaped; mailto and fragment links untouched.
    assert clicks == ["https://shop.example/item?a=1&b=2", "http://docs.example/"]
    assert 'href="https://herald.test/track/click/1?x=&lt;&amp;&gt;"' in tracked
    assert "href='mailto:help@example.com'" in tracked and 'href="#top"' in tracked
    assert '<a class="x" href="https://herald.test/track/click/2?x=&lt;&amp;&gt;">' in tracked


def test_fragments_go_before_the_last_body_end_or_at_the_end() -> None:
    assert before_body_end("<body>a</BODY>", "X", Budget()) == "<body>aX</BODY>"
    assert before_body_end("<p>a</p>", "X", Budget()) == "<p>a</p>X"
    assert (
        before_body_end("</body>a</body \n>b</bodyx>", "X", Budget())
        == "</body>aX</body \n>b</bodyx>"
    )


def apply(
    email: dict[str, Any],
    tracking: bool = False,
    topic_id: str | None = None,
    topic: SubscriptionTopic | None = None,
    recipient: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return EmailLinks(LINKS, tracking).apply(
        MESSAGE, recipient or MESSAGE.recipient, topic_id, topic, email, Budget()
    )


def test_tracking_adds_the_pixel_and_click_links_and_leaves_text_alone() -> None:
    done = apply({"subject": "S", "text": "see https://shop.example", "html": HTML}, True)
    assert done["text"] == "see https://shop.example"
    assert "list_unsubscribe" not in done
    pixel_url = done["html"].split('<img src="')[1].split('"')[0]
    opened = token_of(pixel_url, "open")
    assert (opened.workspace, opened.message_id, opened.address) == (
        "ws1",
        "m-1",
        "ada@example.com",
    )
    assert done["html"].index("<img") < done["html"].index("</body>")
    clicks = [
        token_of(part.split('"')[0], "click").link
        for part in done["html"].split('href="https://herald.test/track/click/')[1:]
    ]
    assert clicks == ["https://shop.example/item?a=1&b=2", "http://docs.example/"]


def test_without_tracking_the_html_is_untouched() -> None:
    assert apply({"subject": "S", "text": "t", "html": HTML}) == {
        "subject": "S",
        "text": "t",
        "html": HTML,
    }


def test_a_topic_email_gets_one_click_unsubscribe_and_a_footer_never_tracked() -> None:
    done = apply(
        {"subject": "S", "text": "Body", "html": HTML},
        tracking=True,
        topic_id="digest",
        recipient={"user_id": "ada", "email": "ada@example.com"},
    )
    unsubscribe = token_of(done["list_unsubscribe"], "unsubscribe")
    assert (unsubscribe.user_id, unsubscribe.address, unsubscribe.topic_id) == (
        "ada",
        None,  # a user's link speaks for the user, not the address
        "digest",
    )
    assert done["list_unsubscribe"].startswith("https://herald.test/unsubscribe/")
    preferences = token_of(done["preferences_url"], "preferences")
    assert preferences.user_id == "ada"
    assert done["text"] == (
        "Body\n\n--\n"
        f"Unsubscribe: {done['list_unsubscribe']}\n"
        f"Email preferences: {done['preferences_url']}"
    )
    footer = done["html"].split("</p>")[-2]
    assert f'href="{done["list_unsubscribe"]}">Unsubscribe</a>' in footer
    assert f'href="{done["preferences_url"]}">Email preferences</a>' in footer
    assert done["html"].count("/track/click/") == 2  # the message's two links only


def test_an_address_only_recipient_is_named_by_address() -> None:
    done = apply({"subject": "S", "text": "Body"}, topic_id="digest")
    token = token_of(done["list_unsubscribe"], "unsubscribe")
    assert (token.user_id, token.address) == (None, "ada@example.com")
    assert "html" not in done


def test_a_required_topic_offers_the_preferences_page_but_no_unsubscribe() -> None:
    required = SubscriptionTopic(topic_id="security", default_status="REQUIRED")
    done = apply({"subject": "S", "text": "Body"}, topic_id="security", topic=required)
    assert "list_unsubscribe" not in done
    assert "Unsubscribe" not in done["text"]
    assert done["text"].endswith(f"Email preferences: {done['preferences_url']}")


def test_a_link_too_long_to_carry_in_a_token_is_left_untracked() -> None:
    long_link = "https://shop.example/?q=" + "x" * 4000
    markup = f'<body><a href="{long_link}">Long</a><a href="https://a.example/">A</a></body>'
    done = apply({"subject": "S", "text": "t", "html": markup}, tracking=True)
    assert f'href="{long_link}"' in done["html"]
    assert done["html"].count("/track/click/") == 1


def test_headers_that_would_not_fit_on_one_line_are_left_out() -> None:
    from herald.domain.unsubscribe import unsubscribe_headers

    fits = "https://herald.test/unsubscribe/" + "a" * 900
    assert unsubscribe_headers({"list_unsubscribe": fits})["List-Unsubscribe"] == f"<{fits}>"
    assert unsubscribe_headers({"list_unsubscribe": fits + "a" * 100}) == {}
    assert unsubscribe_headers({"list_unsubscribe": "https://h.test/u\r\nBcc: x"}) == {}
    assert unsubscribe_headers({}) == {}
