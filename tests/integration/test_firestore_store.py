"""The Firestore backend, on the emulator, against the shared contract."""

import pytest
from google.cloud import firestore

from herald.domain.message import MessageState
from herald.store.firestore import (
    FirestoreAttempts,
    FirestoreKeys,
    FirestoreMessages,
    FirestoreSummaries,
    FirestoreTemplateMetrics,
)
from herald.topology import OUTBOX_DOCUMENT_PATTERN
from herald_tools.local.emulators import Emulators
from tests.contract.store import (
    AttemptRepositoryContract,
    KeyRepositoryContract,
    MessageRepositoryContract,
    SummaryRepositoryContract,
    TemplateMetricsContract,
    create,
    new_message,
    route,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(emulators: Emulators) -> firestore.Client:
    return firestore.Client(project=emulators.project)


@pytest.fixture
def messages(client: firestore.Client) -> FirestoreMessages:
    return FirestoreMessages(client)


@pytest.fixture
def attempts(client: firestore.Client) -> FirestoreAttempts:
    return FirestoreAttempts(client)


@pytest.fixture
def summaries(client: firestore.Client) -> FirestoreSummaries:
    return FirestoreSummaries(client)


@pytest.fixture
def template_metrics(client: firestore.Client) -> FirestoreTemplateMetrics:
    return FirestoreTemplateMetrics(client)


@pytest.fixture
def keys(client: firestore.Client) -> FirestoreKeys:
    return FirestoreKeys(client)


class TestFirestoreKeys(KeyRepositoryContract):
    pass


def _routed(messages: FirestoreMessages, workspace: str) -> MessageState:
    """A new message, taken by render's transition (``route``) once."""
    message = new_message(workspace)
    create(messages, message)
    messages.transition(workspace, message.id, "render", "e1", route)
    return message


class TestFirestoreMessages(MessageRepositoryContract):
    def test_outbox_records_carry_an_unpublished_mark_until_published(
        self, messages: FirestoreMessages, client: firestore.Client, workspace: str
    ) -> None:
        message = new_message(workspace)
        create(messages, message)
        ref = messages.message(workspace, message.id).collection("events").document("00000001")
        assert ref.get().to_dict()["published_ms"] is None
        messages.mark_published(workspace, message.id, 1)
        assert ref.get().to_dict()["published_ms"] > 0

    def test_an_event_kept_as_history_only_is_stored_out_of_the_relays_trigger_path(
        self, messages: FirestoreMessages, workspace: str
    ) -> None:
        message = _routed(messages, workspace)
        ref = messages.message(workspace, message.id)
        [enqueued] = ref.collection("events").stream()
        [routed] = ref.collection("history").stream()
        assert (enqueued.to_dict()["type"], routed.to_dict()["type"]) == (
            "message.enqueued",
            "message.routed",
        )

        def triggers(path: str) -> bool:
            pattern = OUTBOX_DOCUMENT_PATTERN.split("/")
            segments = path.split("/")
            return len(segments) == len(pattern) and all(
                p.startswith("{") or p == s for p, s in zip(pattern, segments, strict=True)
            )

        assert triggers(enqueued.reference.path) and not triggers(routed.reference.path)
        assert routed.to_dict()["published_ms"] is not None  # nothing ever publishes it

    def test_receipts_carry_an_expiry_for_the_ttl_policy(
        self, messages: FirestoreMessages, workspace: str
    ) -> None:
        message = _routed(messages, workspace)
        [receipt] = messages.message(workspace, message.id).collection("receipts").stream()
        assert receipt.id == "render~e1"
        assert receipt.to_dict()["expires_at"].timestamp() > 0


class TestFirestoreAttempts(AttemptRepositoryContract):
    pass


class TestFirestoreSummaries(SummaryRepositoryContract):
    pass


class TestFirestoreTemplateMetrics(TemplateMetricsContract):
    pass


class TestFirestoreSweep:
    def test_scans_find_unpublished_events_and_stuck_messages_across_workspaces(
        self, messages: FirestoreMessages, client: firestore.Client, workspace: str
    ) -> None:
        from herald.store.firestore import FirestoreSweep

        scans = FirestoreSweep(client)
        message = new_message(workspace)
        create(messages, message)
        far_future = 2**62

        def ours_unpublished() -> list[int]:
            return [
                e.seq
                for e in scans.unpublished_events(far_future, 1000)
                if e.workspace == workspace
            ]

        def ours_stuck(status: str) -> list[str]:
            return [
                m.id
                for m in scans.stuck_messages([status], far_future, 1000)
                if m.workspace == workspace
            ]

        assert ours_unpublished() == [1]
        assert ours_stuck("ENQUEUED") == [message.id]
        messages.mark_published(workspace, message.id, 1)
        assert ours_unpublished() == []
        assert [e.seq for e in scans.unpublished_events(0, 1000) if e.workspace == workspace] == []

        messages.transition(workspace, message.id, "render", "e1", route)
        assert ours_stuck("ENQUEUED") == []
        assert ours_stuck("ROUTED") == [message.id]
        assert [
            m.id for m in scans.stuck_messages(["ROUTED"], 0, 1000) if m.workspace == workspace
        ] == []

    def test_digest_items_no_record_has_taken_are_found_until_marked_taken(
        self, messages: FirestoreMessages, client: firestore.Client, workspace: str
    ) -> None:
        from herald.domain.message import MessageState
        from herald.domain.status import MessageStatus
        from herald.events.envelope import NewEvent
        from herald.events.payloads import DigestItemCollected
        from herald.store.base import Transition
        from herald.store.firestore import FirestoreSweep

        scans = FirestoreSweep(client)
        item, other = new_message(workspace), new_message(workspace)
        create(messages, item)
        create(messages, other)

        def collect(current: MessageState) -> Transition:
            return Transition(
                current.model_copy(
                    update={"status": MessageStatus.DIGESTED, "awaiting_digest": True}
                ),
                [
                    NewEvent(
                        "digest.item_collected",
                        DigestItemCollected(topic_id="t", schedule_id="s", user_id="u"),
                    )
                ],
            )

        messages.transition(workspace, item.id, "render", "e1", collect)
        collected = messages.get_message(workspace, item.id)
        assert collected is not None and collected.updated_ms is not None

        def untaken(older_than_ms: int) -> list[str]:
            found = scans.untaken_digest_items(older_than_ms, 1000)
            return [m.id for m in found if m.workspace == workspace]

        assert untaken(collected.updated_ms + 1) == [item.id]
        assert untaken(collected.updated_ms) == []  # not older than that
        messages.mark_digest_taken(workspace, item.id)
        assert untaken(2**62) == []
        taken = messages.get_message(workspace, item.id)
        assert taken is not None and (taken.seq, taken.awaiting_digest) == (collected.seq, False)
        messages.mark_digest_taken(workspace, "no-such-message")  # nothing to mark: no error


class TestFirestoreTimers:
    def test_due_entries_are_found_across_workspaces_in_due_order_and_removed(
        self, messages: FirestoreMessages, client: firestore.Client, workspace: str
    ) -> None:
        from herald.store.base import ScheduledEvent
        from herald.store.firestore import FirestoreTimers

        timers = FirestoreTimers(client)
        message = new_message(workspace)
        create(messages, message)
        [event] = messages.history(workspace, message.id)
        entries = [
            ScheduledEvent(
                key=k,
                workspace=workspace,
                message_id=message.id,
                due_ms=due,
                envelope=event,
                reason="503",
                created_ms=0,
            )
            for k, due in (("b", 20), ("a", 10), ("c", 2**62))
        ]
        for entry in entries:
            timers.schedule(entry)
        timers.schedule(entries[0])  # the same key again replaces, never duplicates

        def ours(now: int) -> list[str]:
            return [e.key for e in timers.due(now, 1000) if e.workspace == workspace]

        assert ours(1_000) == ["a", "b"]
        assert timers.due(1_000, 1000)[0].envelope == event
        timers.remove(entries[1])
        assert ours(1_000) == ["b"]
