"""The SMTP provider against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import ipaddress
import ssl
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from herald.errors import PermanentProviderError, RetryableProviderError
from herald.providers.base import Dispatch
from herald.providers.smtp import (
    MAX_IDLE_CONNECTIONS,
    MAX_IDLE_S,
    SmtpProvider,
    SmtpSettings,
)
from herald_tools.local.processes import free_port

pytestmark = pytest.mark.integration


@dataclass
class Server:
    rcpt_reply: str | None = None  # None accepts
    data_reply: str = "250 OK queued"
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)  # the connection each mail came on
    hold: int = 0  # DATA waits until this many mails are in
    _arrived: int = 0
    _all_in: asyncio.Event | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold:
            self._all_in = self._all_in or asyncio.Event()
            self._arrived += 1
            if self._arrived >= self.hold:
                self._all_in.set()
            await asyncio.wait_for(self._all_in.wait(), 10)
        self.peers.append(session.peer)
        if self.data_reply.startswith("250"):
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return self.data_reply


@pytest.fixture
def server() -> Iterator[tuple[Server, int]]:
    handler, port = Server(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


DISPATCH = Dispatch(
    message_id="m1",
    attempt_key="m1-email-1",
    recipient={"email": "ada@example.com"},
    rendered={"subject": "Hi Ada", "text": "Your code is 123456"},
)


def provider(port: int, clock: Any = None) -> SmtpProvider:
    settings = SmtpSettings(port=port, sender="Herald <noreply@example.com>", timeout_s=5)
    return SmtpProvider(settings) if clock is None else SmtpProvider(settings, clock)


def test_a_mail_is_sent_with_subject_body_and_a_stable_message_id(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    handoffs: list[bool] = []
    receipt = provider(port).send(DISPATCH, lambda: handoffs.append(True))
    assert receipt.outcome == "SENT"
    [(sender, recipients, raw)] = handler.received
    assert (sender, recipients, handoffs) == ("noreply@example.com", ["ada@example.com"], [True])
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "Hi Ada"
    assert mail["Message-ID"] == "<m1-email-1@herald>"
    assert mail.get_content().strip() == "Your code is 123456"


UNSUBSCRIBE_URL = "https://herald.example/unsubscribe/0a1b2c3d." + "x" * 300 + "." + "y" * 22


def test_a_topic_mail_carries_one_click_unsubscribe_whole_and_html_beside_the_text(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    rendered = {
        **DISPATCH.rendered,
        "html": "<p>Your code is <b>123456</b></p>",
        "list_unsubscribe": UNSUBSCRIBE_URL,
    }
    provider(port).send(Dispatch("m1", "m1-email-1", DISPATCH.recipient, rendered), lambda: None)
    [(_, _, raw)] = handler.received
    # One line each, never RFC 2047 encoded words: mail clients read the URL as it is.
    lines = raw.decode().replace("\r\n", "\n").split("\n")
    assert f"List-Unsubscribe: <{UNSUBSCRIBE_URL}>" in lines
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, email.message.EmailMessage)
    assert mail.get_content_type() == "multipart/alternative"
    text, markup = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and text.get_content().strip() == "Your code is 123456"
    assert markup is not None and markup.get_content().strip() == rendered["html"]


def test_a_mail_without_a_topic_has_no_unsubscribe_headers(server: tuple[Server, int]) -> None:
    handler, port = server
    provider(port).send(DISPATCH, lambda: None)
    [(_, _, raw)] = handler.received
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert (mail["List-Unsubscribe"], mail["List-Unsubscribe-Post"]) == (None, None)
    assert mail.get_content_type() == "text/plain"


def test_a_refused_recipient_is_permanent_and_nothing_is_handed_off(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    handler.rcpt_reply = "550 5.1.1 no such user"
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="550") as refused:
        provider(port).send(DISPATCH, lambda: handoffs.append(True))
    assert handoffs == []
    # The server's answer, not the address it was about (what it quotes is redacted later).
    assert str(refused.value) == "recipient refused: SMTP 550: b'5.1.1 no such user'"


def test_a_temporary_refusal_is_retryable(server: tuple[Server, int]) -> None:
    handler, port = server
    handler.data_reply = "451 4.3.0 try again later"
    with pytest.raises(RetryableProviderError, match="451"):
        provider(port).send(DISPATCH, lambda: None)
    assert handler.received == []


def test_mails_one_after_another_go_over_one_connection(server: tuple[Server, int]) -> None:
    handler, port = server
    smtp = provider(port)
    for n in range(3):
        assert smtp.send(DISPATCH, lambda: None).outcome == "SENT", n
    assert len(handler.received) == 3 and len(set(handler.peers)) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_mail_sent_once(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    smtp = provider(port)
    smtp.send(DISPATCH, lambda: None)
    [(kept, _)] = smtp._idle
    kept.sock.shutdown(2)  # type: ignore[union-attr]  # as a server's idle timeout ends it
    handoffs: list[bool] = []
    assert smtp.send(DISPATCH, lambda: handoffs.append(True)).outcome == "SENT"
    assert handoffs == [True] and len(handler.received) == 2
    assert len(set(handler.peers)) == 2


def test_a_connection_idle_past_the_limit_is_not_used_again(server: tuple[Server, int]) -> None:
    handler, port = server
    now = [0.0]
    smtp = provider(port, clock=lambda: now[0])
    smtp.send(DISPATCH, lambda: None)
    now[0] = MAX_IDLE_S  # at the limit: still used
    smtp.send(DISPATCH, lambda: None)
    now[0] += MAX_IDLE_S + 0.001  # past it: a new connection
    smtp.send(DISPATCH, lambda: None)
    assert len(handler.peers) == 3 and len(set(handler.peers)) == 2
    assert handler.peers[0] == handler.peers[1] != handler.peers[2]


def test_a_connection_is_kept_only_after_a_mail_the_server_took(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    smtp = provider(port)
    handler.data_reply = "451 4.3.0 try again later"
    with pytest.raises(RetryableProviderError):
        smtp.send(DISPATCH, lambda: None)
    assert smtp._idle == []
    handler.data_reply = "250 OK queued"
    smtp.send(DISPATCH, lambda: None)
    assert len(set(handler.peers)) == 2


def test_an_instance_keeps_at_most_its_limit_of_idle_connections(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    at_once = MAX_IDLE_CONNECTIONS + 2
    handler.hold = at_once  # every mail on a connection of its own
    smtp = provider(port)
    with ThreadPoolExecutor(at_once) as pool:
        outcomes = list(
            pool.map(lambda _: smtp.send(DISPATCH, lambda: None).outcome, range(at_once))
        )
    assert outcomes == ["SENT"] * at_once and len(set(handler.peers)) == at_once
    assert len(smtp._idle) == MAX_IDLE_CONNECTIONS


def test_a_server_that_is_down_is_retryable() -> None:
    with pytest.raises(RetryableProviderError, match="connect"):
        provider(free_port()).send(DISPATCH, lambda: None)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for the test."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "herald-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, int, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"herald",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    handler, port = Server(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
        server_hostname="127.0.0.1",
    )
    controller.start()
    yield handler, port, cert
    controller.stop()


def test_starttls_and_auth_against_a_relay_that_requires_both(
    tls_server: tuple[Server, int, Path],
) -> None:
    handler, port, cert = tls_server
    settings = SmtpSettings(
        port=port,
        starttls=True,
        username="herald",
        password="s3cret",
        ca_file=str(cert),
        timeout_s=5,
    )
    assert SmtpProvider(settings).send(DISPATCH, lambda: None).outcome == "SENT"
    assert [to for _, to, _ in handler.received] == [["ada@example.com"]]


def test_a_wrong_password_is_permanent_and_sends_nothing(
    tls_server: tuple[Server, int, Path],
) -> None:
    handler, port, cert = tls_server
    settings = SmtpSettings(
        port=port,
        starttls=True,
        username="herald",
        password="wrong",
        ca_file=str(cert),
        timeout_s=5,
    )
    with pytest.raises(PermanentProviderError, match="authentication"):
        SmtpProvider(settings).send(DISPATCH, lambda: None)
    assert handler.received == []


def test_an_untrusted_certificate_is_refused(tls_server: tuple[Server, int, Path]) -> None:
    handler, port, _ = tls_server
    settings = SmtpSettings(
        port=port, starttls=True, username="herald", password="s3cret", timeout_s=5
    )  # no CA: the self-signed certificate is not trusted
    with pytest.raises(RetryableProviderError):
        SmtpProvider(settings).send(DISPATCH, lambda: None)
    assert handler.received == []
