"""Lists and their subscriptions: a send to ``to.list_id`` reaches every subscriber."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald.clock import now_ms
from herald.domain.send import check_identifier, storable
from herald.errors import NotFound, ValidationFailed
from herald.resources.parsing import PAGE_SIZE, iso, page_of, paging, parse_body
from herald.store.documents import Document, DocumentStore

MAX_RECIPIENTS_PER_CALL = 1000
# A subscriptions call: 1,000 recipients with an id of up to 256 characters and some
# preferences each (every subscription is its own document).
MAX_SUBSCRIPTIONS_BODY = 512 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("preferences", mode="after", check_fields=False)
    @classmethod
    def _storable(cls, preferences: dict[str, Any] | None) -> dict[str, Any] | None:
        return storable(preferences)  # type: ignore[no-any-return]


class ListBody(_Strict):
    name: str = Field(min_length=1, max_length=200)
    preferences: dict[str, Any] | None = None


class SubscriptionRecipient(_Strict):
    # A user id, as in to.user_id: it becomes the subscription's document id.
    recipient_id: str = Field(alias="recipientId")
    preferences: dict[str, Any] | None = None

    _user_id = field_validator("recipient_id")(classmethod(lambda cls, v: check_identifier(v)))


class SubscriptionsBody(_Strict):
    recipients: list[SubscriptionRecipient] = Field(max_length=MAX_RECIPIENTS_PER_CALL)


class SubscribeUserBody(_Strict):
    preferences: dict[str, Any] | None = None


class ListOfUser(_Strict):
    list_id: str = Field(alias="listId")
    preferences: dict[str, Any] | None = None

    _list_id = field_validator("list_id")(classmethod(lambda cls, v: check_identifier(v)))


# POST /profiles/{user_id}/lists: a user joins at most this many lists in one call.
MAX_LISTS_PER_CALL = 100


class UserListsBody(_Strict):
    lists: list[ListOfUser] = Field(min_length=1, max_length=MAX_LISTS_PER_CALL)


def list_path(list_id: str) -> tuple[str, str]:
    return ("lists", list_id)


def subscriptions_collection(list_id: str) -> tuple[str, str, str]:
    return ("lists", list_id, "subscriptions")


def list_matches(list_id: str, pattern: str) -> bool:
    """Courier's list patterns: dot-separated parts, ``*`` one part, ``**`` any rest.

    Parts are compared as they are, never as shell globs: a glob is a regular
    expression, and a pattern from a query string need not be given one.
    """
    parts, wanted = list_id.split("."), pattern.split(".")
    if "**" in wanted:
        wanted = wanted[: wanted.index("**")]
        parts = parts[: len(wanted)]
    return len(parts) == len(wanted) and all(
        w == "*" or p == w for p, w in zip(parts, wanted, strict=True)
    )


def list_view(list_id: str, stored: Document) -> dict[str, Any]:
    return {
        "id": list_id,
        "name": stored.get("name", ""),
        "created": iso(stored.get("created_ms")),
        "updated": iso(stored.get("updated_ms")),
    }


class ListService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def _live(self, workspace: str, list_id: str) -> Document:
        stored = self.documents.get(workspace, list_path(list_id))
        if stored is None or stored.get("deleted"):
            raise NotFound(f"no list {list_id}")
        return stored

    def get(self, workspace: str, list_id: str) -> dict[str, Any]:
        return list_view(list_id, self._live(workspace, list_id))

    def put(self, workspace: str, list_id: str, body: Any) -> None:
        parsed = parse_body(ListBody, body)
        self._upsert(workspace, list_id, parsed.name)

    def _upsert(self, workspace: str, list_id: str, name: str | None) -> None:
        at = now_ms()

        def upserted(current: Document | None) -> Document:
            current = current or {"created_ms": at, "name": list_id}
            return {**current, "name": name or current["name"], "updated_ms": at, "deleted": False}

        self.documents.update(workspace, list_path(list_id), upserted)

    def find(self, workspace: str, pattern: str | None, cursor: str | None) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        after = cursor
        while len(items) < PAGE_SIZE:
            page = self.documents.page(workspace, ("lists",), after, PAGE_SIZE)
            if not page:
                after = None
                break
            for list_id, stored in page:
                after = list_id
                if stored.get("deleted") or (pattern and not list_matches(list_id, pattern)):
                    continue
                items.append(list_view(list_id, stored))
                if len(items) == PAGE_SIZE:
                    break
        return {"items": items, "paging": paging(after if len(items) == PAGE_SIZE else None)}

    def delete(self, workspace: str, list_id: str) -> None:
        """Soft: Courier can restore a deleted list, subscriptions and all."""
        self._live(workspace, list_id)
        self.documents.update(
            workspace,
            list_path(list_id),
            lambda c: {**(c or {}), "deleted": True, "updated_ms": now_ms()},
        )

    def restore(self, workspace: str, list_id: str) -> None:
        if self.documents.get(workspace, list_path(list_id)) is None:
            raise NotFound(f"no list {list_id}")
        self.documents.update(
            workspace,
            list_path(list_id),
            lambda c: {**(c or {}), "deleted": False, "updated_ms": now_ms()},
        )

    def subscriptions(self, workspace: str, list_id: str, cursor: str | None) -> dict[str, Any]:
        self._live(workspace, list_id)
        return page_of(
            self.documents,
            workspace,
            subscriptions_collection(list_id),
            cursor,
            "items",
            lambda user_id, stored: {
                "recipientId": user_id,
                "created": iso(stored.get("created_ms")),
                "preferences": stored.get("preferences"),
            },
        )

    def subscribe(self, workspace: str, list_id: str, body: Any, *, replace: bool) -> None:
        """POST adds recipients; PUT makes them the list's only subscribers."""
        parsed = parse_body(SubscriptionsBody, body)
        self._upsert(workspace, list_id, None)
        wanted = {r.recipient_id: r for r in parsed.recipients}
        for recipient in wanted.values():
            self._subscribe_one(workspace, list_id, recipient.recipient_id, recipient.preferences)
        if replace:
            after: str | None = None
            while page := self.documents.page(
                workspace, subscriptions_collection(list_id), after, PAGE_SIZE
            ):
                for user_id, _ in page:
                    if user_id not in wanted:
                        self.documents.delete(
                            workspace, (*subscriptions_collection(list_id), user_id)
                        )
                after = page[-1][0]

    def subscribe_user(self, workspace: str, list_id: str, user_id: str, body: Any) -> None:
        preferences = parse_body(SubscribeUserBody, body).preferences if body else None
        self._upsert(workspace, list_id, None)
        self._subscribe_one(workspace, list_id, user_id, preferences)

    def _subscribe_one(
        self, workspace: str, list_id: str, user_id: str, preferences: dict[str, Any] | None
    ) -> None:
        if not user_id.strip():
            raise ValidationFailed.of("recipientId", "must not be blank")
        at = now_ms()
        self.documents.update(
            workspace,
            (*subscriptions_collection(list_id), user_id),
            lambda c: {
                "created_ms": (c or {}).get("created_ms", at),
                "preferences": preferences,
            },
        )

    def unsubscribe_user(self, workspace: str, list_id: str, user_id: str) -> None:
        if not self.documents.delete(workspace, (*subscriptions_collection(list_id), user_id)):
            raise NotFound(f"user {user_id} is not subscribed to list {list_id}")

    # A user's lists (Courier's /profiles/{user_id}/lists). Subscriptions are kept under
    # each list, so a user's are found by reading the user's document in each list's
    # subscriptions, a page of lists at a time.

    def lists_of(self, workspace: str, user_id: str, cursor: str | None) -> dict[str, Any]:
        """A page of the live lists the user is subscribed to, by list id.

        At most ``PAGE_SIZE`` lists are looked at per page, so a page may hold fewer
        results than that with ``more`` still true.
        """
        lists = self.documents.page(workspace, ("lists",), cursor, PAGE_SIZE)
        live = [(list_id, stored) for list_id, stored in lists if not stored.get("deleted")]
        subscriptions = self.documents.get_many(
            workspace, [(*subscriptions_collection(list_id), user_id) for list_id, _ in live]
        )
        results = [
            {**list_view(list_id, stored), "preferences": subscription.get("preferences")}
            for (list_id, stored), subscription in zip(live, subscriptions, strict=True)
            if subscription is not None
        ]
        more = len(lists) == PAGE_SIZE
        return {"results": results, "paging": paging(lists[-1][0] if more else None)}

    def subscribe_to_lists(self, workspace: str, user_id: str, body: Any) -> None:
        """Courier's profile-side subscribe: each list is created if it does not exist."""
        parsed = parse_body(UserListsBody, body)
        for wanted in parsed.lists:
            self._upsert(workspace, wanted.list_id, None)
            self._subscribe_one(workspace, wanted.list_id, user_id, wanted.preferences)

    def unsubscribe_everywhere(self, workspace: str, user_id: str) -> None:
        """The user leaves every list (a deleted one too, should it be restored)."""
        after: str | None = None
        while lists := self.documents.page(workspace, ("lists",), after, PAGE_SIZE):
            for list_id, _ in lists:
                self.documents.delete(workspace, (*subscriptions_collection(list_id), user_id))
            after = lists[-1][0]
