"""Email over SMTP, with optional STARTTLS and AUTH."""

from __future__ import annotations

import smtplib
import ssl
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

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

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
        s = self.settings
        try:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableProviderError(
                f"SMTP connect to {s.host}:{s.port} failed: {exc}", self.name
            ) from exc
        try:
            return self._session(client, mail, dispatch, handoff)
        finally:
            # After the answer to DATA the outcome is known: a failed QUIT changes nothing.
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def _session(
        self,
        client: smtplib.SMTP,
        mail: EmailMessage,
        dispatch: Dispatch,
        handoff: Callable[[], None],
    ) -> Receipt:
        s = self.settings
        try:
            client.ehlo()
            if s.starttls:
                client.starttls(context=ssl.create_default_context(cafile=s.ca_file))
                client.ehlo()
            if s.username:
                client.login(s.username, s.password or "")
            code, reply = client.mail(s.sender)
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
