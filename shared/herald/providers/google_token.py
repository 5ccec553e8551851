"""An access token for Google's APIs from the instance's Application Default Credentials:
FCM's sends, and the console's reads of Cloud Monitoring."""

from __future__ import annotations

import threading
from collections.abc import Callable


def google_access_token(scope: str) -> Callable[[], str]:
    """A token source from Application Default Credentials (``google.auth.default``).

    The credentials are refreshed whenever they are missing a token or about to expire.
    """
    import google.auth
    import google.auth.transport.requests

    credentials, _ = google.auth.default(scopes=[scope])
    request = google.auth.transport.requests.Request()
    lock = threading.Lock()

    def token() -> str:
        with lock:
            if not credentials.valid:
                # google-auth leaves Credentials.refresh unannotated.
                credentials.refresh(request)  # type: ignore[no-untyped-call]
            return str(credentials.token)

    return token
