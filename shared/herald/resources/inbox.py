"""A user's inbox as the inbox client sees it: its entries, their counts, and the user's
changes, each recorded in the message's history as an event.

A change records its event first, then changes the entry: a failure between the two
leaves the entry as it was, and the retry records the same event again, which the
message's receipt for it (one per entry version) makes a no-op.
"""

from __future__ import annotations

from herald.domain.feedback import Feedback, FeedbackRecorder
from herald.domain.inbox import ACTION_EVENTS, InboxAction, InboxFilter, changed, entry_id
from herald.errors import NotFound
from herald.events.envelope import NewEvent
from herald.events.payloads import MessageInboxChanged
from herald.store.base import MessageRepository, Transition
from herald.store.documents import Document, DocumentStore
from herald.store.inbox import Entries, InboxEntries

SOURCE = "inbox"
# The consumer name of the receipts of the inbox's history events.
CONSUMER = "inbox"
# Changes to many entries at once (read all, archive all) reach this many at most.
MAX_BULK = 500


class InboxService:
    def __init__(
        self, documents: DocumentStore, messages: MessageRepository, feedback: FeedbackRecorder
    ) -> None:
        self.entries = InboxEntries(documents)
        self.messages = messages
        self.feedback = feedback

    def newest(self, workspace: str, user_id: str, after: str | None = None) -> Entries:
        """The newest entries (after the cursor ``after``), as many as one query may read:
        a request reads them once, whatever it counts and lists."""
        return self.entries.newest(workspace, user_id, after)

    def _entry_key(self, workspace: str, user_id: str, message_id: str) -> str:
        """The entry of the user's message; NotFound for another user's or none at all."""
        message = self.messages.get_message(workspace, message_id)
        if message is None or message.recipient.get("user_id") != user_id:
            raise NotFound("no such message in this inbox")
        return entry_id(message.enqueued_ms, message_id)

    def act(
        self, workspace: str, user_id: str, message_id: str, action: InboxAction, at_ms: int
    ) -> bool:
        """Applies the user's ``action``; False when it changes nothing (read twice, ...)."""
        key = self._entry_key(workspace, user_id, message_id)
        entry = self.entries.get(workspace, user_id, key)
        if entry is None:
            raise NotFound("no such message in this inbox")
        return self._apply(workspace, user_id, key, entry, action, at_ms)

    def _apply(
        self,
        workspace: str,
        user_id: str,
        key: str,
        entry: Document,
        action: InboxAction,
        at_ms: int,
    ) -> bool:
        if changed(entry, action, at_ms) is None:
            return False
        message_id = str(entry["message_id"])
        if action in ("opened", "clicked"):
            # The message's own engagement, as an email's pixel and links report it.
            self.feedback.record(
                Feedback(
                    workspace,
                    message_id,
                    action,
                    at_ms,
                    source=SOURCE,
                    source_id=f"inbox-{action}-{message_id}",
                    channel="inbox",
                )
            )
        else:
            event = NewEvent(ACTION_EVENTS[action], MessageInboxChanged(source=SOURCE))
            self.messages.transition(
                workspace,
                message_id,
                CONSUMER,
                f"inbox-{action}-{entry.get('version', 0)}",
                lambda current: Transition(current, [event]),
            )
        self.entries.change(
            workspace,
            user_id,
            key,
            lambda current: changed(current, action, at_ms) if current is not None else None,
        )
        return True

    def act_all(
        self,
        workspace: str,
        user_id: str,
        chosen: InboxFilter,
        action: InboxAction,
        at_ms: int,
    ) -> int:
        """``action`` on every entry ``chosen`` admits (up to ``MAX_BULK``): how many changed."""
        done = 0
        for key, entry in self.entries.all_admitted(workspace, user_id, chosen)[:MAX_BULK]:
            done += self._apply(workspace, user_id, key, entry, action, at_ms)
        return done
