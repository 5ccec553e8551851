"""Settings meant only for the local stack, refused anywhere else at start-up.

The local stack posts to loopback (its sinks) and signs with secrets printed in
this repository; a deployment with any of them would let a tenant reach the
project's own network, or anyone forge Herald's signed links, webhooks and
Twilio callbacks. Which process is the local stack: ``herald.deployment``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from herald.config import secret
from herald.deployment import (
    LOCAL_LINK_SECRET,
    LOCAL_TWILIO_AUTH_TOKEN,
    LOCAL_USER_TOKEN_SECRET,
    LOCAL_WEBHOOK_SECRET,
    is_local_stack,
)


class LocalSettingOutsideLocalStack(RuntimeError):
    """A setting for the local stack found in a deployment: the function does not start."""


def _is_local_host(host: str) -> bool:
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name: where it leads is checked when it is called
    from herald.providers.addresses import is_public

    return not is_public(str(address))


def local_only_settings(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each setting in ``env`` that only the local stack may have: (name, why)."""
    found: list[tuple[str, str]] = []
    if env.get("HERALD_WEBHOOK_ALLOW_PRIVATE", "").strip().lower() == "true":
        found.append(
            (
                "HERALD_WEBHOOK_ALLOW_PRIVATE",
                "is true: every tenant's webhooks would reach private addresses (let one"
                " workspace reach its own network with `herald providers WORKSPACE"
                " --allow-private-destinations yes` instead)",
            )
        )
    hosts = [h.strip() for h in env.get("HERALD_SLACK_ALLOWED_HOSTS", "").split(",")]
    if local := [h for h in hosts if h and _is_local_host(h)]:
        found.append(("HERALD_SLACK_ALLOWED_HOSTS", f"names local hosts {local}"))
    link_secrets = (secret("HERALD_LINK_SECRET", env) or "").split(",")
    if LOCAL_LINK_SECRET in (s.strip() for s in link_secrets):
        found.append(("HERALD_LINK_SECRET", "is the local stack's public secret"))
    user_token_secrets = (secret("HERALD_USER_TOKEN_SECRET", env) or "").split(",")
    if LOCAL_USER_TOKEN_SECRET in (s.strip() for s in user_token_secrets):
        found.append(("HERALD_USER_TOKEN_SECRET", "is the local stack's public secret"))
    if secret("HERALD_WEBHOOK_SIGNING_SECRET", env) == LOCAL_WEBHOOK_SECRET:
        found.append(("HERALD_WEBHOOK_SIGNING_SECRET", "is the local stack's public secret"))
    if secret("TWILIO_AUTH_TOKEN", env) == LOCAL_TWILIO_AUTH_TOKEN:
        found.append(("TWILIO_AUTH_TOKEN", "is the local stack's public token"))
    return found


def refuse_local_settings(env: Mapping[str, str]) -> None:
    """Raises, after logging each setting, if ``env`` has local-only settings outside the
    local stack."""
    if is_local_stack(env):
        return
    found = local_only_settings(env)
    if not found:
        return
    from herald.observability import logs

    where = "on Cloud Run (K_SERVICE is set)" if "K_SERVICE" in env else "outside the local stack"
    for name, why in found:
        logs.error(f"refusing to start: {name} {why}, {where}", setting=name)
    raise LocalSettingOutsideLocalStack(
        f"settings for the local stack only, {where}: "
        + "; ".join(f"{name} {why}" for name, why in found)
    )
