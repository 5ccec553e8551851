"""What tells the local stack from a deployment, and the secrets only the local stack uses.

A process is the local stack only when all three hold: the stack's marker
(``HERALD_LOCAL_STACK=1``, set by ``herald up`` and the tests' stacks), the
Firestore emulator (nothing deployed can run on it), and no ``K_SERVICE`` (set
by Cloud Run, which runs every gen2 function): a deployment cannot opt in by
copying one variable. Anywhere else a function refuses the local stack's
settings at start-up (``herald.entrypoints.local_settings``).
"""

from __future__ import annotations

from collections.abc import Mapping

LOCAL_STACK_MARKER = "HERALD_LOCAL_STACK"

# Public by design: they sign local mail links, webhooks and the Twilio stand-in's callbacks.
LOCAL_WEBHOOK_SECRET = "whsec_aGVyYWxkLWxvY2FsLXdlYmhvb2stc2lnbmluZy1rZXk="
LOCAL_LINK_SECRET = "herald-local-link-secret"
LOCAL_TWILIO_AUTH_TOKEN = "local-token"
LOCAL_USER_TOKEN_SECRET = "herald-local-user-token-secret-signs-local-inbox-tokens"


def is_local_stack(env: Mapping[str, str]) -> bool:
    return (
        env.get(LOCAL_STACK_MARKER) == "1"
        and bool(env.get("FIRESTORE_EMULATOR_HOST"))
        and "K_SERVICE" not in env
    )
