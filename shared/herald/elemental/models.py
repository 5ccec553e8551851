"""Courier Elemental content as strict, frozen pydantic models.

Field names follow Courier's Elemental reference. Every string that is
templated (text content, titles, labels, links, ``if`` and ``loop``) is compiled
while validating, so a bad template is refused with the field's path before
anything is sent. Compiling spends fuel: from the ``Budget`` in the validation
context under ``BUDGET`` (one for the whole content, see ``parse_elemental``),
else from a budget of its own.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    ValidationInfo,
    model_validator,
)

from herald.elemental.links import is_safe_link, is_web_url
from herald.locales import check_locale, pick_locale
from herald.templating import Budget, compile_expression, compile_template

VERSIONS = ("2022-01-01", "2020-01-01")
Align = Literal["left", "center", "right", "full"]
TextStyle = Literal["text", "h1", "h2", "subtext"]

# Colours end up inside inline CSS: only plain forms, so nothing else can be smuggled in.
# (Spaces belong to the one class inside rgb(): a \s* before it backtracked quadratically.)
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([\d.\s,%]+\)")
_WIDTH = re.compile(r"\d{1,4}(px|%)?")
# Courier's text sizes: CSS pixels ("16px"); a line height in pixels or a multiplier ("1.5").
_FONT_SIZE = re.compile(r"\d{1,3}(\.\d{1,2})?px")
_LINE_HEIGHT = re.compile(r"\d{1,3}(\.\d{1,2})?(px)?")
MAX_COLOR_CHARS = 64
MAX_WIDTH_CHARS = 8
MAX_SIZE_CHARS = 8
# The validation context's key for the budget that compiling spends.
BUDGET = "budget"


def _budget(info: ValidationInfo) -> Budget | None:
    found = info.context.get(BUDGET) if isinstance(info.context, dict) else None
    return found if isinstance(found, Budget) else None


def _template(value: str, info: ValidationInfo) -> str:
    compile_template(value, budget=_budget(info))
    return value


def _expression(value: str, info: ValidationInfo) -> str:
    compile_expression(value, budget=_budget(info))
    return value


def _link(value: str) -> str:
    # Templated links are checked again once filled in.
    if "{{" not in value and not is_safe_link(value):
        raise ValueError("is not an http(s), mailto or tel link")
    return value


def _web_url(value: str) -> str:
    if "{{" not in value and not is_web_url(value):
        raise ValueError("is not an http(s) URL")
    return value


def _color(value: str) -> str:
    if len(value) > MAX_COLOR_CHARS or not _COLOR.fullmatch(value):
        raise ValueError("is not a colour (#rgb, #rrggbb, a name or rgb(...))")
    return value


def _width(value: str) -> str:
    if len(value) > MAX_WIDTH_CHARS or not _WIDTH.fullmatch(value):
        raise ValueError("is not a width (pixels like 300 or 300px, or a percentage)")
    return value


def _font_size(value: str) -> str:
    if len(value) > MAX_SIZE_CHARS or not _FONT_SIZE.fullmatch(value):
        raise ValueError("is not a font size in pixels (like 16px)")
    return value


def _line_height(value: str) -> str:
    if len(value) > MAX_SIZE_CHARS or not _LINE_HEIGHT.fullmatch(value):
        raise ValueError("is not a line height (pixels like 24px, or a multiplier like 1.5)")
    return value


Template = Annotated[str, AfterValidator(_template)]
Expression = Annotated[str, AfterValidator(_expression)]
Link = Annotated[str, AfterValidator(_template), AfterValidator(_link)]
WebUrl = Annotated[str, AfterValidator(_template), AfterValidator(_web_url)]
Color = Annotated[str, AfterValidator(_color)]
Width = Annotated[str, AfterValidator(_width)]
FontSize = Annotated[str, AfterValidator(_font_size)]
LineHeight = Annotated[str, AfterValidator(_line_height)]
Flag = bool | str  # Courier's text flags arrive as booleans or as "true"/"false"
# Courier's per-locale variants of an element: ``{"pt-BR": {"content": "Olá"}}``, each
# holding fields of the element that replace its own for a message in that locale.
Locales = dict[str, dict[str, Any]]
MAX_ELEMENT_LOCALES = 30
# What a locale's variant may not replace: what the element is and where it shows.
_NOT_LOCALIZED = frozenset({"id", "type", "locales", "channels", "if", "loop", "ref"})
MAX_ELEMENT_ID_CHARS = 200


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Element(_Model):
    # Courier's element id: the notifications API addresses an element by it.
    id: str | None = Field(default=None, min_length=1, max_length=MAX_ELEMENT_ID_CHARS)
    # Courier's control flow, common to every element.
    channels: list[str] | None = None
    if_: Expression | None = Field(default=None, alias="if")
    loop: Expression | None = None
    ref: str | None = None

    @model_validator(mode="after")
    def _locales_are_variants_of_the_element(self) -> Self:
        variants: Locales | None = getattr(self, "locales", None)
        if not variants:
            return self
        if len(variants) > MAX_ELEMENT_LOCALES:
            raise ValueError(f"locales: at most {MAX_ELEMENT_LOCALES} locales")
        for key, variant in variants.items():
            try:
                check_locale(key)
            except ValueError as exc:
                raise ValueError(f"locales: {key!r} {exc}") from None
            if fixed := sorted(_NOT_LOCALIZED & set(variant)):
                raise ValueError(f"locales.{key}: a locale may not change {', '.join(fixed)}")
            self._variant(variant)  # each variant must be a valid element itself
        return self

    def _variant(self, variant: dict[str, Any]) -> Self:
        own = self.model_dump(by_alias=True, exclude_none=True, exclude={"locales"})
        return self.model_validate({**own, **variant})

    def localized(self, locale: str | None) -> Self:
        """The element as a message in ``locale`` shows it: its nearest locale's variant
        (``pt-BR``, else ``pt``) over its own fields, or itself."""
        variants: Locales | None = getattr(self, "locales", None)
        if not variants or (key := pick_locale(variants, locale)) is None:
            return self
        return self._variant(variants[key])


class TextElement(_Element):
    type: Literal["text"]
    content: Template
    format: Literal["markdown"] | None = None
    align: Align | None = None
    text_style: TextStyle | None = None
    color: Color | None = None
    # Email only: they override the text_style preset's size.
    font_size: FontSize | None = None
    line_height: LineHeight | None = None
    bold: Flag | None = None
    italic: Flag | None = None
    strikethrough: Flag | None = None
    underline: Flag | None = None
    locales: Locales | None = None


class MetaElement(_Element):
    type: Literal["meta"]
    title: Template | None = None
    locales: Locales | None = None


class ActionElement(_Element):
    type: Literal["action"]
    content: Template
    href: Link
    action_id: str | None = None
    align: Align | None = None
    background_color: Color | None = None
    style: Literal["button", "link"] | None = None
    locales: Locales | None = None


class HtmlElement(_Element):
    """The sender's HTML, sanitised; only an email shows it (as in Courier)."""

    type: Literal["html"]
    content: Template
    locales: Locales | None = None


class DividerElement(_Element):
    type: Literal["divider"]
    color: Color | None = None


class ImageElement(_Element):
    type: Literal["image"]
    src: WebUrl
    href: Link | None = None
    align: Align | None = None
    alt_text: Template | None = None
    width: Width | None = None
    locales: Locales | None = None


class QuoteElement(_Element):
    type: Literal["quote"]
    content: Template
    align: Align | None = None
    border_color: Color | None = None
    text_style: TextStyle | None = None
    locales: Locales | None = None


class GroupElement(_Element):
    type: Literal["group"]
    elements: list[Element]


class ChannelElement(_Element):
    type: Literal["channel"]
    channel: str
    elements: list[Element] | None = None
    raw: dict[str, Any] | None = None
    locales: Locales | None = None

    @model_validator(mode="after")
    def _needs_content(self) -> ChannelElement:
        if self.elements is None and self.raw is None:
            raise ValueError("a channel element needs elements or raw")
        return self


# Channel elements are valid only at the top level, so nested lists leave them out.
Element = Annotated[
    TextElement
    | MetaElement
    | ActionElement
    | DividerElement
    | ImageElement
    | QuoteElement
    | HtmlElement
    | GroupElement,
    Discriminator("type"),
]
TopElement = Annotated[
    TextElement
    | MetaElement
    | ActionElement
    | DividerElement
    | ImageElement
    | QuoteElement
    | HtmlElement
    | GroupElement
    | ChannelElement,
    Discriminator("type"),
]
ELEMENT_TYPES = (
    "text",
    "meta",
    "action",
    "divider",
    "image",
    "quote",
    "html",
    "group",
    "channel",
)


class ElementalContent(_Model):
    version: Literal["2022-01-01", "2020-01-01"]
    elements: list[TopElement]
    # Elemental "sugar", which Courier allows beside the elements.
    title: Template | None = None
    body: Template | None = None

    @model_validator(mode="after")
    def _channels_stand_alone(self) -> ElementalContent:
        kinds = {element.type == "channel" for element in self.elements}
        if kinds == {True, False}:
            raise ValueError("when one top-level element is a channel element, all must be")
        return self


class BrandColors(_Model):
    primary: Color | None = None
    secondary: Color | None = None


def _untemplated_web_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError("is not an http(s) URL")
    return value


class Brand(_Model):
    name: str | None = None
    # Put into the layout as given, never filled in: "{{" cannot excuse another scheme.
    logo_url: Annotated[str, AfterValidator(_untemplated_web_url)] | None = None
    colors: BrandColors | None = None


GroupElement.model_rebuild()
ChannelElement.model_rebuild()
ElementalContent.model_rebuild()
