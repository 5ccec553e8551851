"""Email over SMTP, with optional STARTTLS and AUTH.

A connection is kept after a mail the server took, for the next one: a relay
takes many mails over one session (RFC 5321 allows any number of transactions),
and a new connection for each costs a TCP handshake, the greeting, EHLO, and
with STARTTLS a TLS handshake and AUTH, on both sides. An instance keeps a few
(about as many as it delivers at once), none idle for longer than
``MAX_IDLE_S``. One the server closed while idle fails at its first command,
before any of the mail was sent, and the mail goes on a new connection.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate

from herald.domain.message import ChannelOutcome
from herald.domain.unsubscribe import unsubscribe_headers
from herald.errors import (
    AmbiguousProviderError,
    PermanentProviderError,
    RetryableProviderError,
)
from herald.providers.base import Dispatch, Receipt


class _MailPolicy(EmailPolicy):
    """The default policy, except that URL headers stay whole.

    The default folds a long header value that has no spaces into RFC 2047
    encoded words, which would turn a ``List-Unsubscribe`` URL into something no
    mail client can follow; such a header is written on one line (RFC 5322
    allows 998 characters).
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _WHOLE and len(name) + len(value) + 2 <= 998:
            return f"{name}: {value}{self.linesep}"
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _WHOLE and len(name) + len(value) + 2 <= 998:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        folded: bytes = super().fold_binary(name, value)
        return folded


_WHOLE = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
# CRLF line ends, as SMTP wants: smtplib sends bytes as they are.
MAIL_POLICY = _MailPolicy(linesep="\r\n")


def _is_transient(code: int) -> bool:
    return 400 <= code < 500


# Kept for the next mail at most this long idle: well inside the five minutes a server
# waits for the next command (RFC 5321 4.5.3.2.7), and shorter than many relays allow.
MAX_IDLE_S = 10.0
# Idle connections an instance keeps: about the deliveries it runs at once.
MAX_IDLE_CONNECTIONS = 8
# "Service not available, closing transmission channel": a server's answer on a session
# it is ending (an idle timeout among others).
_CLOSING = 421


class _ClosedWhileIdle(Exception):
    """A kept connection the server had closed: nothing of the mail was sent on it."""


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP provider's relay, sender and credentials."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "Herald <herald@localhost>"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 20.0
    ca_file: str | None = None  # a private relay's CA; the system's trust store otherwise


class SmtpProvider:
    name = "smtp"
    channel = "email"

    def __init__(self, settings: SmtpSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._idle: list[tuple[smtplib.SMTP, float]] = []  # (connection, idle since)
        self._lock = threading.Lock()

    def build(self, dispatch: Dispatch) -> EmailMessage:
        mail = EmailMessage(policy=MAIL_POLICY)
        mail["From"] = self.settings.sender
        mail["To"] = dispatch.recipient["email"]
        mail["Subject"] = dispatch.rendered.get("subject", "")
        mail["Date"] = formatdate(localtime=False)
        # Stable per attempt, so a receiving system can spot a duplicate.
        mail["Message-ID"] = f"<{dispatch.attempt_key}@herald>"
        mail["X-Herald-Message-Id"] = dispatch.message_id
        for name, value in unsubscribe_headers(dispatch.rendered).items():
            mail[name] = value
        mail.set_content(dispatch.rendered.get("text", ""))
        if html := dispatch.rendered.get("html"):
            mail.add_alternative(html, subtype="html")
        return mail

    def send(self, dispatch: Dispatch, handoff: Callable[[], None]) -> Receipt:
        mail = self.build(dispatch)
        if (kept := self._take_idle()) is not None:
            try:
                return self._over(kept, mail, dispatch, handoff, fresh=False)
            except _ClosedWhileIdle:
                pass  # nothing of this mail was sent: on a new connection
        return self._over(self._connect(), mail, dispatch, handoff, fresh=True)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            return smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableProviderError(
                f"SMTP connect to {s.host}:{s.port} failed: {exc}", self.name
            ) from exc

    def _over(
        self,
        client: smtplib.SMTP,
        mail: EmailMessage,
        dispatch: Dispatch,
        handoff: Callable[[], None],
        fresh: bool,
    ) -> Receipt:
        taken = False
        try:
            receipt = self._session(client, mail, dispatch, handoff, fresh)
            taken = True
            return receipt
        finally:
            # Kept only after a mail the server took; after DATA's answer the outcome is
            # known, so a failed QUIT changes nothing.
            if not (taken and self._keep_idle(client)):
                _quit(client)

    def _take_idle(self) -> smtplib.SMTP | None:
        stale: list[smtplib.SMTP] = []
        found = None
        with self._lock:
            while self._idle:
                client, since = self._idle.pop()
                if self.clock() - since <= MAX_IDLE_S:
                    found = client
                    break
                stale.append(client)
        for client in stale:
            _quit(client)
        return found

    def _keep_idle(self, client: smtplib.SMTP) -> bool:
        with self._lock:
            if len(self._idle) >= MAX_IDLE_CONNECTIONS:
                return False
            self._idle.append((client, self.clock()))
            return True

    def _first_command(self, client: smtplib.SMTP) -> tuple[int, bytes]:
        """MAIL on a kept connection; one the server closed while idle raises
        ``_ClosedWhileIdle``."""
        try:
            code, reply = client.mail(self.settings.sender)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise _ClosedWhileIdle from exc
        if code == _CLOSING:
            raise _ClosedWhileIdle
        return code, reply

    def _session(
        self,
        client: smtplib.SMTP,
        mail: EmailMessage,
        dispatch: Dispatch,
        handoff: Callable[[], None],
        fresh: bool,
    ) -> Receipt:
        s = self.settings
        try:
            if fresh:
                client.ehlo()
                if s.starttls:
                    client.starttls(context=ssl.create_default_context(cafile=s.ca_file))
                    client.ehlo()
                if s.username:
                    client.login(s.username, s.password or "")
                code, reply = client.mail(s.sender)
            else:
                code, reply = self._first_command(client)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, s.sender)
            code, reply = client.rcpt(dispatch.recipient["email"])
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({dispatch.recipient["email"]: (code, reply)})
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentProviderError(f"SMTP authentication failed: {exc}", self.name) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            # The server's reply, never the dict keyed by the address; it may still quote
            # the address, so it is redacted wherever it is kept (herald.redaction).
            error = f"recipient refused: SMTP {code}: {reply!r}"
            if _is_transient(code):
                raise RetryableProviderError(error, self.name, str(code)) from exc
            raise PermanentProviderError(error, self.name, str(code)) from exc
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if _is_transient(exc.smtp_code):
                raise RetryableProviderError(error, self.name, str(exc.smtp_code)) from exc
            raise PermanentProviderError(error, self.name, str(exc.smtp_code)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableProviderError(f"SMTP session failed: {exc}", self.name) from exc

        handoff()
        try:
            code, reply = client.data(mail.as_bytes())
            if code != 250:  # data() returns, not raises, a refusal of the content
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPDataError as exc:
            # The server answered: it did not take the message.
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if _is_transient(exc.smtp_code):
                raise RetryableProviderError(error, self.name, str(exc.smtp_code)) from exc
            raise PermanentProviderError(error, self.name, str(exc.smtp_code)) from exc
        except (TimeoutError, OSError, smtplib.SMTPServerDisconnected) as exc:
            raise AmbiguousProviderError(f"no answer to SMTP DATA: {exc}", self.name) from exc
        return Receipt(ChannelOutcome.SENT, reply.decode(errors="replace") if reply else None)
