"""Turns a message's content and data into what each channel sends."""

from __future__ import annotations

from typing import Any

from herald.domain import template


def merged_data(message_data: dict[str, Any], recipient: dict[str, Any]) -> dict[str, Any]:
    # Per-recipient data wins over the message's, as in Courier.
    return {**message_data, **(recipient.get("data") or {})}


def render_channel(channel: str, content: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    title = template.render(content.get("title", ""), data)
    body = template.render(content.get("body", ""), data)
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
