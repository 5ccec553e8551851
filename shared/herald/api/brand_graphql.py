"""The brand query of Courier's browser client (``GetBrand``, sent to its
``apiUrls.courier.graphql``): a workspace's brand as the inbox shows it.

As for the inbox, only the client's own operation is served (``inbox_graphql``'s checks,
over a schema of the fields it asks).
"""

from __future__ import annotations

import functools
from typing import Any

from graphql import GraphQLSchema, OperationType, build_schema, execute_sync, parse

from herald.api.inbox_graphql import MAX_TOKENS, check_operation
from herald.domain.send import check_identifier
from herald.errors import NotFound
from herald.resources.brands import BrandService

CLIENT_OPERATIONS: dict[str, OperationType] = {"GetBrand": OperationType.QUERY}
READ_BRANDS = "read:brands"

SDL = """
scalar JSON

type Colors {
  primary: String
  secondary: String
  tertiary: String
}

type Inapp {
  borderRadius: String
  disableCourierFooter: Boolean
}

type Settings {
  colors: Colors
  inapp: Inapp
}

type Logo {
  href: String
  image: String
}

type Brand {
  settings: Settings
  logo: Logo
  links: JSON
}

type Query {
  brand(brandId: String!): Brand
}
"""


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SDL)


def may_read(grants: frozenset[str], brand_id: str) -> bool:
    """Courier's ``read:brands``, or ``read:brands:<id>`` for that brand only."""
    return READ_BRANDS in grants or f"{READ_BRANDS}:{brand_id}" in grants


def brand_view(brand: dict[str, Any]) -> dict[str, Any]:
    """The stored brand (Courier's shape, kept as sent) as the client's query reads it."""
    settings = brand.get("settings") or {}
    colors = settings.get("colors") or {}
    inapp = settings.get("inapp") or {}
    logo = ((settings.get("email") or {}).get("header") or {}).get("logo") or {}
    return {
        "settings": {
            "colors": {k: colors.get(k) for k in ("primary", "secondary", "tertiary")},
            "inapp": {
                "borderRadius": inapp.get("borderRadius"),
                "disableCourierFooter": inapp.get("disableCourierFooter"),
            },
        },
        "logo": {"href": logo.get("href"), "image": logo.get("image")},
        "links": settings.get("links"),
    }


def run_brand_query(
    brands: BrandService, workspace: str, grants: frozenset[str], query: str
) -> dict[str, Any]:
    """The answer to the client's ``GetBrand``; RefusedQuery for anything else,
    PermissionError for a brand the token's scope does not cover."""
    check_operation(query, schema(), CLIENT_OPERATIONS)

    def brand(info: Any, brandId: str) -> dict[str, Any] | None:
        if not may_read(grants, brandId):
            raise PermissionError(f"{READ_BRANDS}:{brandId[:60]}")
        try:
            check_identifier(brandId)
            return brand_view(brands.get(workspace, brandId))
        except (NotFound, ValueError):
            return None  # no such brand, or no id a brand could have

    result = execute_sync(
        schema(), parse(query, max_tokens=MAX_TOKENS), root_value={"brand": brand}
    )
    for error in result.errors or ():
        if error.original_error is not None:
            raise error.original_error
    return {"data": result.data}
