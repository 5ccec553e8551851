"""The brand query of Courier's browser client (``GetBrand``, sent to its
``apiUrls.courier.graphql``): a workspace's brand as the inbox shows it.

Its types and resolver; ``client_graphql`` serves them, with the preferences client's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import OperationType

from herald.domain.send import check_identifier
from herald.errors import NotFound
from herald.resources.brands import BrandService

CLIENT_OPERATIONS: dict[str, OperationType] = {"GetBrand": OperationType.QUERY}
READ_BRANDS = "read:brands"

TYPES = """
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
"""
QUERIES = """
  brand(brandId: String!): Brand
"""


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


def brand_resolver(
    brands: BrandService, workspace: str, grants: frozenset[str]
) -> Callable[..., dict[str, Any] | None]:
    """Resolves ``brand(brandId)``: the brand, None when there is none, PermissionError
    for a brand the token's scope does not cover."""

    def brand(info: Any, brandId: str) -> dict[str, Any] | None:
        if not may_read(grants, brandId):
            raise PermissionError(f"{READ_BRANDS}:{brandId[:60]}")
        return stored_brand(brands, workspace, brandId)

    return brand


def stored_brand(brands: BrandService, workspace: str, brand_id: str) -> dict[str, Any] | None:
    try:
        check_identifier(brand_id)
        return brand_view(brands.get(workspace, brand_id))
    except (NotFound, ValueError):
        return None  # no such brand, or no id a brand could have
