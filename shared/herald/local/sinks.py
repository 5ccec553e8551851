"""Local catchers for what Herald sends: an SMTP server and a webhook endpoint.

Caught mail is kept in memory, written as ``.eml`` files, and listed as JSON at
``GET /mail``; webhook deliveries POSTed to ``/webhooks/<anything>`` are listed
at ``GET /webhooks``. ``DELETE`` on either clears it.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    mail_dir: Path | None = None
    mail: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_mail(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        with self.lock:
            number = len(self.mail) + 1
            self.mail.append(
                {
                    "id": number,
                    "from": mail_from,
                    "to": rcpt_tos,
                    "subject": str(parsed["subject"] or ""),
                    "text": _normalised(body.get_content()) if body is not None else "",
                    "messageId": str(parsed["message-id"] or ""),
                    "heraldMessageId": str(parsed["x-herald-message-id"] or ""),
                    "receivedMs": time.time_ns() // 1_000_000,
                }
            )
        if self.mail_dir is not None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            (self.mail_dir / f"{number:06d}.eml").write_bytes(raw)

    def add_webhook(self, path: str, headers: dict[str, str], body: bytes) -> None:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body.decode(errors="replace")
        with self.lock:
            self.webhooks.append(
                {
                    "id": len(self.webhooks) + 1,
                    "path": path,
                    "headers": headers,
                    "body": payload,
                    "receivedMs": time.time_ns() // 1_000_000,
                }
            )


def _normalised(text: str) -> str:
    # SMTP carries CRLF line endings and a trailing newline; readers want the text.
    return text.replace("\r\n", "\n").rstrip("\n")


class _SmtpHandler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.inbox.add_mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        return "250 Message accepted for delivery"


class LocalSinks:
    def __init__(self, smtp_port: int, http_port: int, mail_dir: Path | None = None) -> None:
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.inbox = Inbox(mail_dir)
        self._smtp = Controller(_SmtpHandler(self.inbox), hostname="127.0.0.1", port=smtp_port)
        inbox = self.inbox

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                with inbox.lock:
                    if self.path.rstrip("/") == "/mail":
                        return self._reply(200, list(inbox.mail))
                    if self.path.rstrip("/") == "/webhooks":
                        return self._reply(200, list(inbox.webhooks))
                self._reply(404, {"message": "try /mail or /webhooks"})

            def do_DELETE(self) -> None:
                with inbox.lock:
                    if self.path.rstrip("/") == "/mail":
                        inbox.mail.clear()
                    elif self.path.rstrip("/") == "/webhooks":
                        inbox.webhooks.clear()
                self._reply(200, {})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if not self.path.startswith("/webhooks/"):
                    return self._reply(404, {"message": "POST to /webhooks/<name>"})
                inbox.add_webhook(self.path, dict(self.headers.items()), body)
                self._reply(200, {"received": True})

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", http_port), Handler)
        self._serving = self._smtp_running = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self._serving = True
        self._smtp.start()
        self._smtp_running = True

    def stop(self) -> None:
        # Only what started: shutdown() of a server that never served waits forever.
        if self._smtp_running:
            self._smtp.stop()
            self._smtp_running = False
        if self._serving:
            self._http.shutdown()
            self._serving = False
        self._http.server_close()
