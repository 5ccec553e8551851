"""The inbox's GraphQL endpoint: the operations Courier's browser client
(``@trycourier/courier-js``, its ``InboxClient``) sends, and no other.

The schema holds only the fields those operations use, introspection is refused, and a
document must be one operation the client names (``GetInboxMessages``, ``TrackEvent``,
...) of the kind it sends, so a query the client never sends fails validation before
anything is read. graphql-core parses, validates and executes; the source is bounded in
characters and tokens first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute_sync,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from herald.domain.inbox import InboxAction, InboxFilter, is_entry_id
from herald.errors import NotFound
from herald.resources.inbox import InboxService
from herald.resources.parsing import iso
from herald.store.inbox import count_of, page_of

# Every operation the client sends, by name, with its kind (courier-js 3.x).
CLIENT_OPERATIONS: dict[str, OperationType] = {
    "GetInboxMessages": OperationType.QUERY,
    "GetUnreadCounts": OperationType.QUERY,
    "GetMessages": OperationType.QUERY,
    "TrackEvent": OperationType.MUTATION,
    "BatchTrackEvents": OperationType.MUTATION,
}
MAX_QUERY_CHARS = 32 * 1024
MAX_TOKENS = 4000
MAX_PAGE = 100
DEFAULT_PAGE = 24
MAX_TAGS = 20
MAX_TAG_CHARS = 64
# Counts of many datasets (GetUnreadCounts) or opens of many messages (BatchTrackEvents)
# in one document: each is a scan or a change, so their number is bounded.
MAX_FIELDS = 50

SDL = """
scalar JSON

input FilterParamsInput {
  accountId: String
  tags: [String!]
  status: String
  archived: Boolean
  from: String
}

type PageInfo {
  startCursor: String
  hasNextPage: Boolean!
}

type TrackingIds {
  clickTrackingId: String
}

type Action {
  content: String
  data: JSON
  href: String
}

type Message {
  messageId: String!
  read: String
  archived: String
  created: String
  opened: String
  title: String
  preview: String
  data: JSON
  tags: [String!]
  trackingIds: TrackingIds
  actions: [Action!]
}

type Messages {
  totalCount: Int!
  pageInfo: PageInfo!
  nodes: [Message!]!
}

type Query {
  count(params: FilterParamsInput): Int!
  messages(params: FilterParamsInput, limit: Int, after: String): Messages!
}

type Mutation {
  read(messageId: String!): Boolean
  unread(messageId: String!): Boolean
  opened(messageId: String!): Boolean
  archive(messageId: String!): Boolean
  unarchive(messageId: String!): Boolean
  clicked(messageId: String!, trackingId: String!): Boolean
  markAllRead: Boolean
  archiveRead: Boolean
  archiveAll: Boolean
}
"""


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SDL)


class RefusedQuery(ValueError):
    """Not an operation the inbox client sends: answered 400, nothing read."""


@dataclass(frozen=True)
class InboxCaller:
    workspace: str
    user_id: str
    may_read: bool
    may_write: bool


def _ms(value: str) -> int:
    try:
        at = datetime.fromisoformat(value[:64].replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphQLError(f"params.from: {value[:40]!r} is not an ISO 8601 time") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def inbox_filter(params: dict[str, Any] | None) -> InboxFilter:
    params = params or {}
    status = params.get("status")
    if status not in (None, "read", "unread"):
        raise GraphQLError("params.status: must be 'read' or 'unread'")
    tags = tuple(params.get("tags") or ())
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags):
        raise GraphQLError(f"params.tags: at most {MAX_TAGS}, of {MAX_TAG_CHARS} characters")
    given_from = params.get("from")
    return InboxFilter(
        status=status,
        archived=params.get("archived"),
        tags=tags,
        from_ms=_ms(given_from) if given_from else None,
        tenant_id=params.get("accountId"),
    )


def inbox_node(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as the client's ``InboxMessage`` (what lists show and the socket tells)."""
    message_id = entry["message_id"]
    return {
        "messageId": message_id,
        "read": iso(entry.get("read_ms")),
        "archived": iso(entry.get("archived_ms")),
        "created": iso(entry.get("created_ms")),
        "opened": iso(entry.get("opened_ms")),
        "title": entry.get("title"),
        "preview": entry.get("body"),
        "data": entry.get("data") or {},
        "tags": entry.get("tags") or [],
        # The message id is its click tracking id: a click names the message it was on.
        "trackingIds": {"clickTrackingId": message_id},
        "actions": [
            {"content": a.get("content"), "href": a.get("href"), "data": a.get("data")}
            for a in entry.get("actions") or []
        ],
    }


class InboxGraphQL:
    def __init__(self, inbox: InboxService, now_ms: int) -> None:
        self.inbox = inbox
        self.now_ms = now_ms

    def _root(self, caller: InboxCaller) -> dict[str, Any]:
        inbox, ws, user = self.inbox, caller.workspace, caller.user_id
        # Read once per request, however many counts and lists the document asks for.
        newest = functools.cache(lambda: inbox.newest(ws, user))

        def count(info: Any, params: dict[str, Any] | None = None) -> int:
            return count_of(newest(), inbox_filter(params))

        def messages(
            info: Any,
            params: dict[str, Any] | None = None,
            limit: int | None = None,
            after: str | None = None,
        ) -> dict[str, Any]:
            size = DEFAULT_PAGE if limit is None else limit
            if not 1 <= size <= MAX_PAGE:
                raise GraphQLError(f"limit: must be 1 to {MAX_PAGE}")
            if after is not None and not is_entry_id(after):
                raise GraphQLError("after: not a cursor of this inbox")
            chosen = inbox_filter(params)
            page = page_of(
                newest() if after is None else inbox.newest(ws, user, after), chosen, size
            )
            return {
                "totalCount": count_of(newest(), chosen),
                "pageInfo": {
                    "startCursor": page.next_cursor,
                    "hasNextPage": bool(page.next_cursor),
                },
                "nodes": [inbox_node(e) for e in page.entries],
            }

        def act(action: InboxAction) -> Any:
            def resolve(info: Any, messageId: str, trackingId: str | None = None) -> bool:
                if action == "clicked" and trackingId != messageId:
                    raise GraphQLError("trackingId: not a tracking id of this message")
                return inbox.act(ws, user, messageId, action, self.now_ms)

            return resolve

        def bulk(chosen: InboxFilter, action: InboxAction) -> Any:
            return lambda info: inbox.act_all(ws, user, chosen, action, self.now_ms) >= 0

        return {
            "count": count,
            "messages": messages,
            "read": act("read"),
            "unread": act("unread"),
            "opened": act("opened"),
            "archive": act("archive"),
            "unarchive": act("unarchive"),
            "clicked": act("clicked"),
            "markAllRead": bulk(InboxFilter(status="unread"), "read"),
            "archiveRead": bulk(InboxFilter(status="read"), "archive"),
            "archiveAll": bulk(InboxFilter(), "archive"),
        }

    def run(
        self, caller: InboxCaller, query: str, variables: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The GraphQL answer (``data``, ``errors``); RefusedQuery for anything the client
        does not send, PermissionError for an operation the token's scope does not allow."""
        operation_type = check_operation(query, schema(), CLIENT_OPERATIONS)
        if operation_type == OperationType.QUERY and not caller.may_read:
            raise PermissionError("inbox:read:messages")
        if operation_type == OperationType.MUTATION and not caller.may_write:
            raise PermissionError("inbox:write:events")
        document = parse(query, max_tokens=MAX_TOKENS)
        result = execute_sync(
            schema(), document, root_value=self._root(caller), variable_values=variables
        )
        for error in result.errors or ():
            original = error.original_error
            if original is not None and not isinstance(original, (GraphQLError, NotFound)):
                raise original  # the store failed: a 500, not an answer the client trusts
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return answer


def check_operation(
    query: str, served: GraphQLSchema, client_operations: dict[str, OperationType]
) -> OperationType:
    """The kind of the one client operation ``query`` holds (one of ``client_operations``,
    valid against ``served``); RefusedQuery otherwise."""
    if len(query) > MAX_QUERY_CHARS:
        raise RefusedQuery(f"query: longer than {MAX_QUERY_CHARS} characters")
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        raise RefusedQuery(f"query: {exc.message}") from exc
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or len(document.definitions) != 1:
        raise RefusedQuery("query: send one operation, and no fragments")
    [operation] = operations
    name = operation.name.value if operation.name else None
    if name not in client_operations or client_operations[name] != operation.operation:
        raise RefusedQuery(f"query: {str(name)[:60]!r} is not an operation of the inbox client")
    if len(operation.selection_set.selections) > MAX_FIELDS:
        raise RefusedQuery(f"query: more than {MAX_FIELDS} fields")
    errors = validate(served, document, [*specified_rules, NoSchemaIntrospectionCustomRule])
    if errors:
        raise RefusedQuery(f"query: {errors[0].message}")
    return operation.operation
