"""Turns a message's content and data into what each channel sends."""

from __future__ import annotations

from typing import Any

from herald import templating


def merged_data(message_data: dict[str, Any], recipient: dict[str, Any]) -> dict[str, Any]:
    # Per-recipient data wins over the message's, as in Courier.
    return {**message_data, **(recipient.get("data") or {})}


class RenderFailed(ValueError):
    """Content that cannot be rendered: the message ends UNDELIVERABLE, reason FAILED."""


def render_channel(
    channel: str,
    content: dict[str, Any],
    data: dict[str, Any],
    brand: dict[str, Any] | None = None,
    budget: templating.Budget | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """What ``channel`` sends; everything it takes is paid from one ``budget`` (a new
    one if none is given), which the caller may go on spending (an email's links).
    Elemental elements show their variant for ``locale``."""
    spending = budget if budget is not None else templating.Budget()
    if "elements" in content:
        # Imported here: its models cost import time the sugar path does not need. Once an
        # instance, and untimed: about 280 ms of CPU, past a render's whole CPU guard.
        with spending.untimed():
            from herald.elemental import ElementalRenderError, render_elemental

        try:
            return render_elemental(
                content, channel, data, brand=brand, budget=spending, locale=locale
            )
        except (ElementalRenderError, templating.TemplateError, ValueError) as exc:
            raise RenderFailed(f"content: {exc}") from exc
    try:
        title = templating.render(content.get("title", ""), data, budget=spending)
        body = templating.render(content.get("body", ""), data, budget=spending)
    except templating.TemplateError as exc:
        raise RenderFailed(f"content: {exc}") from exc
    return _shape(channel, title, body, data)


def _shape(channel: str, title: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    if channel == "email":
        return {"subject": title, "text": body}
    if channel == "sms":
        return {"text": f"{title}\n{body}" if title else body}
    if channel == "push":
        return {"title": title, "body": body, "data": templating.public_data(data)}
    if channel == "chat":
        return {"text": f"*{title}*\n{body}" if title else body}
    if channel == "webhook":
        return {"title": title, "body": body, "data": templating.public_data(data)}
    if channel == "inbox":
        from herald.elemental.render import inbox_data

        return {
            "title": title,
            "body": body,
            "data": inbox_data(templating.public_data(data)),
            "actions": [],
        }
    raise ValueError(f"no renderer for channel {channel!r}")
