"""The render stage's last step for email: unsubscribe, preferences and tracking links.

Providers turn ``list_unsubscribe`` into the ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` headers (RFC 8058); the footer shows the same links to
people; tracking, when the workspace turned it on, sends the HTML's links
through Herald and adds the open pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herald import markup
from herald.domain.audience import SubscriptionTopic
from herald.domain.message import MessageState
from herald.domain.unsubscribe import UNSUBSCRIBE_FIELD
from herald.engagement.links import LinkMaker, Recipient
from herald.engagement.tracking import before_body_end, pixel, track_links
from herald.templating import Budget

PREFERENCES_FIELD = "preferences_url"
MAX_CLICK_URL = 4000  # well inside the token's path segment (see tokens.TOKEN_PATTERN)


@dataclass(frozen=True)
class EmailLinks:
    maker: LinkMaker
    tracking: bool = False

    def apply(
        self,
        message: MessageState,
        recipient: dict[str, Any],
        topic_id: str | None,
        topic: SubscriptionTopic | None,
        email: dict[str, Any],
        budget: Budget,
    ) -> dict[str, Any]:
        """The rendered email with Herald's links added, paid from the render's budget."""
        who = Recipient(recipient.get("user_id"), recipient.get("email"))
        done = dict(email)
        markup = done.get("html")
        if self.tracking and isinstance(markup, str):
            # Before the footer: unsubscribe and preferences links are never tracked.
            markup = track_links(markup, lambda link: self._click_url(message, who, link), budget)
            opened = self.maker.token("open", message.workspace, message.id, who)
            markup = before_body_end(markup, pixel(self.maker.url(opened)), budget)
        if topic_id:
            preferences = self.maker.url(
                self.maker.token("preferences", message.workspace, message.id, who, topic_id)
            )
            unsubscribe: str | None = None
            # A REQUIRED topic cannot be left: its mail offers the preferences page only.
            if topic is None or topic.default_status != "REQUIRED":
                unsubscribe = self.maker.url(
                    self.maker.token("unsubscribe", message.workspace, message.id, who, topic_id)
                )
                done[UNSUBSCRIBE_FIELD] = unsubscribe
            done[PREFERENCES_FIELD] = preferences
            done["text"] = str(done.get("text") or "") + text_footer(unsubscribe, preferences)
            if isinstance(markup, str):
                markup = before_body_end(markup, html_footer(unsubscribe, preferences), budget)
        if isinstance(markup, str):
            done["html"] = markup
        return done

    def _click_url(self, message: MessageState, who: Recipient, link: str) -> str | None:
        token = self.maker.token("click", message.workspace, message.id, who, link=link)
        url = self.maker.url(token)
        # The token carries the link: a very long one would make a URL the route refuses.
        return url if len(url) <= MAX_CLICK_URL else None


def text_footer(unsubscribe: str | None, preferences: str) -> str:
    lines = ["", "", "--"]
    if unsubscribe:
        lines.append(f"Unsubscribe: {unsubscribe}")
    lines.append(f"Email preferences: {preferences}")
    return "\n".join(lines)


def html_footer(unsubscribe: str | None, preferences: str) -> str:
    return markup.render(
        "herald.engagement", "footer.html", unsubscribe=unsubscribe, preferences=preferences
    )
