"""Courier's browser client's ``apiUrls.courier.graphql`` (Herald's ``/client/q``): the
brand query and the preferences client's operations, and no other.

As for the inbox, only the client's own operations are served (``inbox_graphql``'s
checks, over a schema of the fields they ask), for the user the token acts for.
"""

from __future__ import annotations

import functools
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationType, build_schema, execute_sync, parse

from herald.api import brand_graphql, preferences_graphql
from herald.api.inbox_graphql import MAX_TOKENS, check_operation
from herald.errors import NotFound
from herald.resources.brands import BrandService
from herald.store.documents import DocumentStore

CLIENT_OPERATIONS: dict[str, OperationType] = {
    **brand_graphql.CLIENT_OPERATIONS,
    **preferences_graphql.CLIENT_OPERATIONS,
}
SDL = (
    brand_graphql.TYPES
    + preferences_graphql.TYPES
    + "type Query {"
    + brand_graphql.QUERIES
    + preferences_graphql.QUERIES
    + "}\ntype Mutation {"
    + preferences_graphql.MUTATIONS
    + "}\n"
)


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SDL)


def run_client_query(
    documents: DocumentStore, workspace: str, user_id: str, grants: frozenset[str], query: str
) -> dict[str, Any]:
    """The answer (``data``, and ``errors`` as GraphQL has them) to one of the client's
    operations; RefusedQuery for anything else, PermissionError for what the token's
    scope does not allow."""
    check_operation(query, schema(), CLIENT_OPERATIONS)
    root = {
        "brand": brand_graphql.brand_resolver(BrandService(documents), workspace, grants),
        **preferences_graphql.PreferencesResolvers(documents, workspace, user_id, grants).root(),
    }
    result = execute_sync(schema(), parse(query, max_tokens=MAX_TOKENS), root_value=root)
    for error in result.errors or ():
        original = error.original_error
        if original is not None and not isinstance(original, (GraphQLError, NotFound)):
            raise original  # a refused scope (403), or the store failed (500)
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
    return answer
