"""Renders Elemental content for one channel, in the shapes ``render_channel`` returns.

email: {subject, text, html}; sms: {text}; push: {title, body, data};
chat: {text}; webhook: {title, body, data}.

Text is filled from the data with the templating package. Limits apply to the
whole content, not per string: one ``Budget`` (fuel and CPU time) and one output
cap are shared by every element, loop iteration included, and by what is built
from them (Markdown, the email's HTML).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from herald.elemental.email_html import email_html
from herald.elemental.html import sanitize_html
from herald.elemental.links import is_safe_link, is_web_url
from herald.elemental.models import (
    ActionElement,
    Brand,
    ChannelElement,
    DividerElement,
    Element,
    ElementalContent,
    GroupElement,
    HtmlElement,
    ImageElement,
    MetaElement,
    QuoteElement,
    TextElement,
    TopElement,
)
from herald.elemental.parse import parse_elemental
from herald.elemental.pieces import (
    ActionPiece,
    DividerPiece,
    HtmlPiece,
    ImagePiece,
    Piece,
    TextPiece,
    plain_text,
)
from herald.templating import (
    DEFAULT_LIMITS,
    Budget,
    Limits,
    TemplateError,
    TemplateLimitExceeded,
    TemplateOutputTooLarge,
    compile_expression,
    compile_template,
    public_data,
    truthy,
)
from herald.templating.budget import MAPPED_CHARS_PER_UNIT

CHANNELS = ("email", "sms", "push", "chat", "webhook", "inbox")
# Courier's names for a channel, beside Herald's own.
_CHANNEL_NAMES = {
    "email": {"email"},
    "sms": {"sms"},
    "push": {"push"},
    "chat": {"chat", "direct_message", "slack", "msteams"},
    "webhook": {"webhook"},
    "inbox": {"inbox"},
}


def inbox_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data an inbox message carries to the user's browser: the message's, without the
    stored profile the templates saw (``profile``), which the message itself never held."""
    return {key: value for key, value in data.items() if key != "profile"}


class ElementalRenderError(ValueError):
    """Content that validated but cannot render with this data: a template error,
    a limit, or a link that is unsafe once filled in. ``field`` names the element."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def render_elemental(
    content: Mapping[str, Any] | ElementalContent,
    channel: str,
    data: Mapping[str, Any],
    *,
    brand: Mapping[str, Any] | Brand | None = None,
    limits: Limits = DEFAULT_LIMITS,
    budget: Budget | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """The channel's output; ``limits`` caps its size, ``budget`` (a new one from
    ``limits`` if none is given) is the fuel and CPU time all of it may spend; each
    element with ``locales`` shows its variant nearest ``locale``."""
    if channel not in CHANNELS:
        raise ValueError(f"no renderer for channel {channel!r}")
    parsed = content if isinstance(content, ElementalContent) else parse_elemental(content)
    chosen_brand = Brand.model_validate(brand) if isinstance(brand, Mapping) else brand
    walker = _Walker(
        channel, data, limits, budget if budget is not None else Budget(limits), locale
    )
    elements: Sequence[TopElement | Element] = parsed.elements
    path = "content.elements"
    if parsed.elements and all(isinstance(e, ChannelElement) for e in parsed.elements):
        picked = walker.pick_channel(parsed.elements)
        if picked is None:
            elements = []
        else:
            index, element = picked
            element = element.localized(locale)
            path = f"content.elements[{index}]"
            if element.raw is not None:
                return walker.raw(element.raw, f"{path}.raw")
            elements = element.elements or []
            path += ".elements"
    if parsed.body is not None:
        walker.pieces.append(
            TextPiece(
                walker.fill(parsed.body, data, "content.body"),
                TextElement(type="text", content=parsed.body),
            )
        )
    walker.walk(elements, path, None)
    title = walker.title
    if title is None and parsed.title is not None:
        title = walker.fill(parsed.title, data, "content.title")
    try:
        return _shape(channel, title or "", walker.pieces, data, chosen_brand, walker.budget)
    except TemplateLimitExceeded as exc:
        raise ElementalRenderError("content", str(exc)) from exc


def _shape(
    channel: str,
    title: str,
    pieces: list[Piece],
    data: Mapping[str, Any],
    brand: Brand | None,
    budget: Budget,
) -> dict[str, Any]:
    if channel == "email":
        return {
            "subject": title,
            "text": plain_text(pieces, budget, separator="\n\n", dividers=True),
            "html": email_html(title, pieces, brand, budget),
        }
    if channel == "inbox":
        # The inbox shows its actions as buttons: they are not repeated in the text.
        text: list[Piece] = [p for p in pieces if not isinstance(p, ActionPiece)]
        return {
            "title": title,
            "body": plain_text(text, budget, separator="\n", dividers=False),
            "data": inbox_data(data),
            "actions": [
                {"content": p.label, "href": p.href} for p in pieces if isinstance(p, ActionPiece)
            ],
        }
    body = plain_text(pieces, budget, separator="\n", dividers=False)
    if channel == "sms":
        return {"text": f"{title}\n{body}" if title else body}
    if channel == "chat":
        return {"text": f"*{title}*\n{body}" if title else body}
    return {"title": title, "body": body, "data": public_data(data)}  # push, webhook


class _Walker:
    def __init__(
        self,
        channel: str,
        data: Mapping[str, Any],
        limits: Limits,
        budget: Budget,
        locale: str | None = None,
    ) -> None:
        self.channel = channel
        self.locale = locale
        self.data = data
        self.limits = limits
        self.budget = budget
        self.produced = 0
        self.title: str | None = None
        self.pieces: list[Piece] = []
        self.refs: dict[str, dict[str, Any]] = {}

    # -- budgets shared by every template of the content

    def remaining(self) -> Limits:
        """The limits of the next template: the output the content has left."""
        return replace(
            self.limits, max_output_chars=max(self.limits.max_output_chars - self.produced, 0)
        )

    def fill(self, source: str, scope: Mapping[str, Any], field: str) -> str:
        try:
            template = compile_template(source, budget=self.budget)
            text = template.render(
                scope, escape_html=False, limits=self.remaining(), budget=self.budget
            )
        except TemplateOutputTooLarge:
            raise ElementalRenderError(
                field, f"content renders to more than {self.limits.max_output_chars} characters"
            ) from None
        except TemplateError as exc:
            raise ElementalRenderError(field, str(exc)) from exc
        self.produced += len(text)
        return text

    def fill_html(self, source: str, scope: Mapping[str, Any], field: str) -> str:
        """HTML filled in, each placeholder's value HTML-escaped."""
        try:
            template = compile_template(source, budget=self.budget)
            text = template.render(
                scope, escape_html=True, limits=self.remaining(), budget=self.budget
            )
        except TemplateOutputTooLarge:
            raise ElementalRenderError(
                field, f"content renders to more than {self.limits.max_output_chars} characters"
            ) from None
        except TemplateError as exc:
            raise ElementalRenderError(field, str(exc)) from exc
        self.produced += len(text)
        return text

    def value(self, expression: str, scope: Mapping[str, Any], field: str) -> Any:
        try:
            compiled = compile_expression(expression, budget=self.budget)
            return compiled.evaluate(scope, limits=self.remaining(), budget=self.budget)
        except TemplateError as exc:
            raise ElementalRenderError(field, str(exc)) from exc

    # -- scopes

    def content_scope(self, loop: dict[str, Any] | None) -> Mapping[str, Any]:
        # Text sees the data's fields directly, and $.item / $.index inside a loop.
        return self.data if loop is None else {**self.data, "$": loop}

    def control_scope(self, loop: dict[str, Any] | None) -> Mapping[str, Any]:
        # Conditions and loops also see Courier's data.*, refs.* and $.*.
        return {**self.data, "data": self.data, "refs": self.refs, "$": loop or {}}

    # -- channel elements

    def pick_channel(self, elements: list[TopElement]) -> tuple[int, ChannelElement] | None:
        fallback: tuple[int, ChannelElement] | None = None
        for index, element in enumerate(elements):
            assert isinstance(element, ChannelElement)
            if not self.shown(element, f"content.elements[{index}]", None):
                continue
            if element.channel in _CHANNEL_NAMES[self.channel]:
                return index, element
            if element.channel == "default" and fallback is None:
                fallback = index, element
        return fallback

    def raw(self, raw: dict[str, Any], path: str) -> dict[str, Any]:
        def part(key: str) -> str:
            value = raw.get(key)
            return self.fill(value, self.data, f"{path}.{key}") if isinstance(value, str) else ""

        if self.channel == "email":
            # Raw HTML is the sender's own markup: its placeholders are HTML-escaped.
            html_source = raw.get("html")
            html = ""
            if isinstance(html_source, str):
                html = self.fill_html(html_source, self.data, f"{path}.html")
            return {"subject": part("subject"), "text": part("text"), "html": html}
        if self.channel in ("sms", "chat"):
            return {"text": part("text")}
        if self.channel == "inbox":
            return {
                "title": part("title"),
                "body": part("body"),
                "data": inbox_data(public_data(self.data)),
                "actions": [],
            }
        return {"title": part("title"), "body": part("body"), "data": public_data(self.data)}

    # -- the walk

    def walk(
        self, elements: Sequence[TopElement | Element], path: str, loop: dict[str, Any] | None
    ) -> None:
        for index, element in enumerate(elements):
            self.visit(element, f"{path}[{index}]", loop)

    def visit(self, element: TopElement | Element, path: str, loop: dict[str, Any] | None) -> None:
        if element.channels is not None and not (
            _CHANNEL_NAMES[self.channel] & set(element.channels)
        ):
            if element.ref:
                self.refs[element.ref] = {"visible": False}
            return
        if element.loop is None:
            self.visit_once(element, path, loop)
            return
        items = self.value(element.loop, self.control_scope(loop), f"{path}.loop")
        if isinstance(items, Mapping):
            items = list(items.values())
        if not isinstance(items, list | tuple):
            return
        for index, item in enumerate(items):
            self.visit_once(element, path, {"item": item, "index": index})

    def shown(self, element: TopElement | Element, path: str, loop: dict[str, Any] | None) -> bool:
        if element.if_ is None:
            return True
        return truthy(self.value(element.if_, self.control_scope(loop), f"{path}.if"))

    def visit_once(
        self, element: TopElement | Element, path: str, loop: dict[str, Any] | None
    ) -> None:
        try:
            self.budget.charge(1)  # the budget covers walking, not only templates
        except TemplateLimitExceeded as exc:
            raise ElementalRenderError(path, str(exc)) from exc
        visible = self.shown(element, path, loop)
        if element.ref:
            self.refs[element.ref] = {"visible": visible}
        if not visible:
            return
        element = element.localized(self.locale)
        scope = self.content_scope(loop)
        if isinstance(element, TextElement | QuoteElement):
            self.pieces.append(
                TextPiece(self.fill(element.content, scope, f"{path}.content"), element)
            )
        elif isinstance(element, MetaElement):
            if element.title is not None and self.title is None:
                self.title = self.fill(element.title, scope, f"{path}.title")
        elif isinstance(element, ActionElement):
            href = self.fill(element.href, scope, f"{path}.href").strip()
            if not is_safe_link(href):
                raise ElementalRenderError(f"{path}.href", "is not an http(s), mailto or tel link")
            label = self.fill(element.content, scope, f"{path}.content")
            self.pieces.append(ActionPiece(label, href, element))
        elif isinstance(element, ImageElement):
            self.pieces.append(self.image(element, scope, path))
        elif isinstance(element, DividerElement):
            self.pieces.append(DividerPiece(element))
        elif isinstance(element, HtmlElement):
            if self.channel == "email":  # as in Courier: no other channel shows it
                filled = self.fill_html(element.content, scope, f"{path}.content")
                try:
                    self.budget.charge_text(len(filled), MAPPED_CHARS_PER_UNIT)  # sanitising
                except TemplateLimitExceeded as exc:
                    raise ElementalRenderError(f"{path}.content", str(exc)) from exc
                self.pieces.append(HtmlPiece(sanitize_html(filled), element))
        elif isinstance(element, GroupElement):
            self.walk(element.elements, f"{path}.elements", loop)

    def image(self, element: ImageElement, scope: Mapping[str, Any], path: str) -> ImagePiece:
        src = self.fill(element.src, scope, f"{path}.src").strip()
        if not is_web_url(src):
            raise ElementalRenderError(f"{path}.src", "is not an http(s) URL")
        href = None
        if element.href is not None:
            href = self.fill(element.href, scope, f"{path}.href").strip()
            if not is_safe_link(href):
                raise ElementalRenderError(f"{path}.href", "is not an http(s), mailto or tel link")
        alt = self.fill(element.alt_text, scope, f"{path}.alt_text") if element.alt_text else ""
        return ImagePiece(src, href, alt, element)
