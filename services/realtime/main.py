"""The real-time service's process: uvicorn serving the inbox socket on ``$PORT``.

Cloud Run runs ``python main.py`` in the service's image (Cloud Functions' HTTP
signature has no WebSocket); the local stack runs the same file.
"""

from __future__ import annotations

import argparse
import os

from herald.bootstrap import FirestoreAdapters, build
from herald.realtime.protocol import MAX_CLIENT_MESSAGE_BYTES

# Cloud Run's own default; the local stack passes its port.
DEFAULT_PORT = 8080
# Sockets get this long to close when the instance stops (Cloud Run kills it 10 s after
# SIGTERM); their clients reconnect to another and resume from their next fetch.
SHUTDOWN_S = 5


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Herald's real-time inbox service")
    parser.add_argument("--host", default="0.0.0.0", help="where to listen (Cloud Run: all)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    app = build(FirestoreAdapters()).realtime.app()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ws="websockets",
        ws_max_size=MAX_CLIENT_MESSAGE_BYTES,
        timeout_graceful_shutdown=SHUTDOWN_S,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
