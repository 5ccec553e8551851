"""Brands in Courier's shape: a name, colours and a logo, used in the email layout."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from herald.clock import now_ms
from herald.domain.send import check_identifier, storable
from herald.errors import FieldError, NotFound, ValidationFailed
from herald.resources.parsing import page_of, parse_body
from herald.store.documents import Document, DocumentStore


class _Open(BaseModel):
    # Courier's brand settings hold more than Herald uses (snippets, in-app, footers):
    # kept as sent, so a brand reads back whole.
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class BrandColors(_Open):
    primary: str | None = None
    secondary: str | None = None


class BrandLogo(_Open):
    image: str | None = None
    href: str | None = None


class BrandEmailHeader(_Open):
    logo: BrandLogo | None = None


class BrandEmail(_Open):
    header: BrandEmailHeader | None = None


class BrandSettings(_Open):
    colors: BrandColors | None = None
    email: BrandEmail | None = None


class BrandBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    name: str = Field(min_length=1, max_length=200)
    settings: BrandSettings = Field(default_factory=BrandSettings)
    snippets: dict[str, Any] | None = None

    # Kept as sent (Courier's settings hold more than Herald reads): stored only if storable.
    _storable = field_validator("settings", "snippets", mode="before")(
        classmethod(lambda cls, v: storable(v))
    )


def for_rendering(brand: Document) -> dict[str, Any]:
    """What the email layout uses of a stored brand (``herald.elemental.Brand``)."""
    settings = brand.get("settings") or {}
    logo = ((settings.get("email") or {}).get("header") or {}).get("logo") or {}
    colors = {
        k: v for k, v in (settings.get("colors") or {}).items() if k in ("primary", "secondary")
    }
    return {"name": brand.get("name"), "logo_url": logo.get("image"), "colors": colors or None}


def _checked_for_rendering(brand: Document) -> None:
    """Refuses, when it is stored, a brand the email layout could not use."""
    from herald.elemental import Brand

    try:
        Brand.model_validate(for_rendering(brand))
    except ValidationError as exc:
        errors = [
            FieldError(
                "settings."
                + ".".join(str(p) for p in e["loc"]).replace("logo_url", "email.header.logo.image"),
                e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise ValidationFailed(errors) from exc


class BrandService:
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents

    def create(self, workspace: str, body: Any) -> dict[str, Any]:
        parsed = parse_body(BrandBody, body)
        brand_id = parsed.id or uuid.uuid4().hex
        try:
            check_identifier(brand_id)
        except ValueError as exc:
            raise ValidationFailed.of("id", str(exc)) from exc
        if self.documents.get(workspace, ("brands", brand_id)) is not None:
            raise ValidationFailed.of(
                "id", f"brand {brand_id} exists; PUT /brands/{brand_id} changes it"
            )
        return self._store(workspace, brand_id, parsed, None)

    def replace(self, workspace: str, brand_id: str, body: Any) -> dict[str, Any]:
        current = self.documents.get(workspace, ("brands", brand_id))
        if current is None:
            raise NotFound(f"no brand {brand_id}")
        return self._store(workspace, brand_id, parse_body(BrandBody, body), current)

    def _store(
        self, workspace: str, brand_id: str, parsed: BrandBody, current: Document | None
    ) -> dict[str, Any]:
        at = now_ms()
        brand = {
            "id": brand_id,
            "name": parsed.name,
            "settings": parsed.settings.model_dump(mode="json", exclude_none=True),
            "snippets": parsed.snippets,
            "created": (current or {}).get("created", at),
            "updated": at,
        }
        _checked_for_rendering(brand)
        self.documents.put(workspace, ("brands", brand_id), brand)
        return brand

    def get(self, workspace: str, brand_id: str) -> dict[str, Any]:
        brand = self.documents.get(workspace, ("brands", brand_id))
        if brand is None:
            raise NotFound(f"no brand {brand_id}")
        return brand

    def find(self, workspace: str, cursor: str | None) -> dict[str, Any]:
        return page_of(self.documents, workspace, ("brands",), cursor, "results")

    def delete(self, workspace: str, brand_id: str) -> None:
        if not self.documents.delete(workspace, ("brands", brand_id)):
            raise NotFound(f"no brand {brand_id}")
