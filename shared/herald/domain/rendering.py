"""Turns a message's content and data into what each channel sends."""

from __future__ import annotations

from typing import Any

from herald.domain import template


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
) -> dict[str, Any]:
    if "elements" in content:
        raise RenderFailed("Elemental content is not supported yet")
    try:
        title = template.render(content.get("title", ""), data)
        body = template.render(content.get("body", ""), data)
    except template.RenderedTooLarge as exc:
        raise RenderFailed(str(exc)) from exc
    return _shape(channel, title, body, data)


def _shape(channel: str, title: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    if channel == "email":
        return {"subject": title, "text": body}
    if channel == "sms":
        return {"text": f"{title}\n{body}" if title else body}
    if channel == "push":
        return {"title": title, "body": body, "data": data}
    if channel == "chat":
        return {"text": f"*{title}*\n{body}" if title else body}
    if channel == "webhook":
        return {"title": title, "body": body, "data": data}
    raise ValueError(f"no renderer for channel {channel!r}")
