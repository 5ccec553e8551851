"""The public pages email links lead to: plain, server-rendered HTML with no script.

Every text is escaped; each page has a language, a title, one main heading and,
for the preferences form, a fieldset and legend per topic with a label per switch.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from herald.engagement.choices import CHANNEL_LABELS, TopicRow

# No script, no framing (clickjacking), no referrer (the URL holds the token).
SECURITY_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
background:#f6f6f6;margin:0;padding:24px;line-height:1.5}
main{max-width:36rem;margin:0 auto;background:#fff;padding:24px 32px;border-radius:8px}
h1{font-size:1.5rem;margin-top:0}
fieldset{border:1px solid #c8c8c8;border-radius:6px;margin:0 0 16px;padding:12px 16px}
legend{font-weight:600;padding:0 4px}
.switch{display:flex;align-items:center;gap:8px;margin:4px 0}
.switch input{width:1.2rem;height:1.2rem}
.note{color:#4a4a4a;font-size:.9rem;margin:4px 0 0}
button{font:inherit;background:#1f4fd1;color:#fff;border:0;border-radius:6px;padding:10px 20px;cursor:pointer}
button:focus,a:focus,input:focus{outline:3px solid #ffbf47;outline-offset:2px}
[role=status]{background:#e7f4ea;border-left:4px solid #2e7d32;padding:8px 12px}
[role=alert]{background:#fdecea;border-left:4px solid #b71c1c;padding:8px 12px}
a{color:#1f4fd1}
"""


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{escape(title)}</h1>\n{body}</main>\n</body>\n</html>\n"
    )


def notice_page(title: str, text: str) -> str:
    """A page that only tells something: a link expired or is not valid."""
    return page(title, f"<p>{escape(text)}</p>\n")


def confirm_unsubscribe_page(topic_name: str, action: str, preferences: str) -> str:
    """What opening the unsubscribe link shows: a GET never unsubscribes (link scanners
    fetch links); the button posts the same one-click form a mail client would."""
    return page(
        "Unsubscribe",
        f"<p>Stop receiving <strong>{escape(topic_name)}</strong> by email?</p>\n"
        f'<form method="post" action="{escape(action)}">\n'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">\n'
        '<button type="submit">Unsubscribe</button>\n</form>\n'
        f'<p><a href="{escape(preferences)}">Choose what you receive instead</a></p>\n',
    )


def unsubscribed_page(topic_name: str, preferences: str, changed: bool) -> str:
    if changed:
        said = f"You will no longer receive <strong>{escape(topic_name)}</strong>."
    else:
        said = f"<strong>{escape(topic_name)}</strong> is required and cannot be turned off."
    return page(
        "Unsubscribed" if changed else "Required messages",
        f'<p role="status">{said}</p>\n'
        f'<p><a href="{escape(preferences)}">Manage all your preferences</a></p>\n',
    )


def _switch(row: TopicRow, channel: str, index: int) -> str:
    field_id = f"topic-{index}-{channel}"
    checked = " checked" if channel in row.on else ""
    locked = f' disabled aria-describedby="topic-{index}-note"' if row.required else ""
    return (
        f'<div class="switch"><input type="checkbox" id="{field_id}" '
        f'name="t:{escape(row.topic_id)}" value="{escape(channel)}"{checked}{locked}>'
        f'<label for="{field_id}">{escape(CHANNEL_LABELS.get(channel, channel))}</label></div>\n'
    )


def _fieldset(row: TopicRow, index: int) -> str:
    switches = "".join(_switch(row, channel, index) for channel in row.channels)
    note = ""
    shown = ""
    if row.required:
        note = f'<p class="note" id="topic-{index}-note">Required: these messages are always sent.</p>\n'
    else:
        # Names the topic even when every switch is off (an unchecked box sends nothing).
        shown = f'<input type="hidden" name="shown" value="{escape(row.topic_id)}">\n'
    return f"<fieldset>\n<legend>{escape(row.name)}</legend>\n{shown}{switches}{note}</fieldset>\n"


def preferences_page(
    rows: Sequence[TopicRow], action: str, nonce: str, saved: bool = False, error: str = ""
) -> str:
    parts = []
    if saved:
        parts.append('<p role="status">Your preferences are saved.</p>\n')
    if error:
        parts.append(f'<p role="alert">{escape(error)}</p>\n')
    if not rows:
        parts.append("<p>There is nothing to choose here yet.</p>\n")
        return page("Your preferences", "".join(parts))
    parts.append("<p>Choose what you receive, and where.</p>\n")
    parts.append(f'<form method="post" action="{escape(action)}">\n')
    parts.append(f'<input type="hidden" name="nonce" value="{escape(nonce)}">\n')
    parts.extend(_fieldset(row, index) for index, row in enumerate(rows))
    parts.append('<button type="submit">Save preferences</button>\n</form>\n')
    return page("Your preferences", "".join(parts))
