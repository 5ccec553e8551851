"""The public URLs of Herald's email links, each carrying a signed token."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from herald.engagement.tokens import LinkSigner, LinkToken, Purpose

DAY_S = 24 * 3600
# Tracking links stop recording after a year; a click still reaches its link.
TRACKING_TTL_S = 365 * DAY_S

PATHS: dict[Purpose, str] = {
    "open": "/track/open/",
    "click": "/track/click/",
    "unsubscribe": "/unsubscribe/",
    "preferences": "/preferences/",
}


@dataclass(frozen=True)
class Recipient:
    """Whom a link speaks for: a user id when the message had one, else the address."""

    user_id: str | None
    address: str | None


@dataclass(frozen=True)
class LinkMaker:
    base_url: str  # HERALD_PUBLIC_URL: where the api function is reached from outside
    signer: LinkSigner
    ttl_s: int = 60 * DAY_S  # HERALD_LINK_TTL_DAYS: unsubscribe and preferences links

    def url(self, token: LinkToken) -> str:
        return self.signed_url(token.purpose, self.signer.sign(token))

    def signed_url(self, purpose: Purpose, signed: str) -> str:
        """The link of a token already signed (a page posting back to itself)."""
        return self.base_url.rstrip("/") + PATHS[purpose] + signed

    def token(
        self,
        purpose: Purpose,
        workspace: str,
        message_id: str,
        recipient: Recipient,
        topic_id: str | None = None,
        link: str | None = None,
        now_s: float | None = None,
    ) -> LinkToken:
        ttl = TRACKING_TTL_S if purpose in ("open", "click") else self.ttl_s
        return LinkToken(
            purpose=purpose,
            workspace=workspace,
            message_id=message_id,
            expires_s=int(time.time() if now_s is None else now_s) + ttl,
            user_id=recipient.user_id,
            address=None if recipient.user_id else recipient.address,
            topic_id=topic_id,
            link=link,
        )

    def preferences_for(self, token: LinkToken) -> str:
        """The preferences page of the recipient an unsubscribe link speaks for."""
        return self.url(replace(token, purpose="preferences"))
