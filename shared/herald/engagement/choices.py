"""A recipient's topic choices, as the unsubscribe link and the preferences page see them.

The recipient is the user id the message went to, kept with the user's profile
(the same choices as Courier's ``/users/{user_id}/preferences``); a message sent
to an address alone has no user, so the choice is kept under the address
(``addresses/{address}/preferences/{topic}``) and applies to later messages to
that address without a user id.
"""

from __future__ import annotations

from dataclasses import dataclass

from herald.domain.audience import (
    CourierChannel,
    SubscriptionTopic,
    UserTopicChoice,
    address_key,
)
from herald.domain.preference_log import change_entry
from herald.engagement.links import Recipient
from herald.store.documents import DocPath, DocumentStore

# The channels a page offers for a topic that allows any: a person's own channels.
PAGE_CHANNELS: tuple[CourierChannel, ...] = ("email", "sms", "push", "direct_message")
CHANNEL_LABELS = {
    "email": "Email",
    "sms": "SMS",
    "push": "Push notifications",
    "direct_message": "Chat",
    "webhook": "Webhook",
}
MAX_TOPICS = 1000


@dataclass(frozen=True)
class TopicRow:
    """One topic on the page: its channels, which are on, and whether it is locked."""

    topic_id: str
    name: str
    required: bool
    channels: tuple[CourierChannel, ...]
    on: frozenset[str]


def choices_collection(recipient: Recipient) -> DocPath:
    if recipient.user_id:
        return ("profiles", recipient.user_id, "preferences")
    return ("addresses", address_key(recipient.address or ""), "preferences")


def row_for(
    topic_id: str, topic: SubscriptionTopic, choice: UserTopicChoice | None, by_address: bool
) -> TopicRow:
    channels: tuple[CourierChannel, ...] = tuple(topic.allowed_channels) or PAGE_CHANNELS
    if by_address:
        # Only email reaches an address: the other channels are not the address's to choose.
        channels = ("email",)
    required = topic.default_status == "REQUIRED"
    status = topic.default_status if required or choice is None else choice.status
    if status == "OPTED_OUT":
        on: frozenset[str] = frozenset()
    elif not required and choice and choice.has_custom_routing and choice.custom_routing:
        on = frozenset(choice.custom_routing) & set(channels)
    else:
        on = frozenset(channels)
    return TopicRow(topic_id, topic.topic_name or topic_id, required, channels, on)


def choice_for(row: TopicRow, on: set[str]) -> UserTopicChoice:
    """What switching ``row``'s channels to ``on`` stores."""
    chosen = [channel for channel in row.channels if channel in on]
    if not chosen:
        return UserTopicChoice(status="OPTED_OUT")
    if len(chosen) == len(row.channels):
        return UserTopicChoice(status="OPTED_IN")
    return UserTopicChoice(status="OPTED_IN", has_custom_routing=True, custom_routing=chosen)


class RecipientChoices:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def topic(self, workspace: str, topic_id: str) -> SubscriptionTopic | None:
        stored = self.documents.get(workspace, ("topics", topic_id))
        return SubscriptionTopic.model_validate(stored) if stored else None

    def opt_out(self, workspace: str, recipient: Recipient, topic_id: str) -> bool:
        """Opts the recipient out of the topic at once; False for a REQUIRED topic."""
        topic = self.topic(workspace, topic_id)
        if topic is not None and topic.default_status == "REQUIRED":
            return False
        self._put(workspace, recipient, topic_id, UserTopicChoice(status="OPTED_OUT"))
        return True

    def rows(self, workspace: str, recipient: Recipient) -> list[TopicRow]:
        """The workspace's topics, each with the recipient's channels, by name."""
        topics = {
            topic_id: SubscriptionTopic.model_validate(doc)
            for topic_id, doc in self.documents.page(workspace, ("topics",), None, MAX_TOPICS)
        }
        choices = {
            topic_id: UserTopicChoice.model_validate(doc)
            for topic_id, doc in self.documents.page(
                workspace, choices_collection(recipient), None, MAX_TOPICS
            )
        }
        by_address = not recipient.user_id
        rows = [
            row_for(topic_id, topic, choices.get(topic_id), by_address)
            for topic_id, topic in topics.items()
        ]
        return sorted(rows, key=lambda row: (row.name.lower(), row.topic_id))

    def save(self, workspace: str, recipient: Recipient, switched_on: dict[str, set[str]]) -> int:
        """Stores the choices of every topic ``switched_on`` names (REQUIRED ones aside).

        Only what differs from what the recipient gets now is written; the count says
        how many topics changed.
        """
        changed = 0
        for row in self.rows(workspace, recipient):
            if row.required or row.topic_id not in switched_on:
                continue
            on = switched_on[row.topic_id] & set(row.channels)
            if on == row.on:
                continue
            self._put(workspace, recipient, row.topic_id, choice_for(row, on))
            changed += 1
        return changed

    def _put(
        self, workspace: str, recipient: Recipient, topic_id: str, choice: UserTopicChoice
    ) -> None:
        """The choice; a user's (not an address's) with its preference change log entry."""
        path = (*choices_collection(recipient), topic_id)
        if not recipient.user_id:
            self.documents.put(workspace, path, choice.model_dump(mode="json"))
            return
        stored = self.documents.get(workspace, path)
        previous = UserTopicChoice.model_validate(stored) if stored else None
        topic = self.topic(workspace, topic_id)
        entry = change_entry(recipient.user_id, topic_id, topic, choice, previous)
        self.documents.write_all(workspace, [(path, choice.model_dump(mode="json")), entry], [])
