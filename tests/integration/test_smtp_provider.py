"""The SMTP provider against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from herald.errors import PermanentProviderError, RetryableProviderError
from herald.local.processes import free_port
from herald.providers.base import Dispatch
from herald.providers.smtp import SmtpProvider, SmtpSettings

pytestmark = pytest.mark.integration


@dataclass
class Server:
    rcpt_reply: str | None = None  # None accepts
    data_reply: str = "250 OK queued"
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
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


def provider(port: int) -> SmtpProvider:
    return SmtpProvider(SmtpSettings(port=port, sender="Herald <noreply@example.com>", timeout_s=5))


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


def test_a_refused_recipient_is_permanent_and_nothing_is_handed_off(
    server: tuple[Server, int],
) -> None:
    handler, port = server
    handler.rcpt_reply = "550 5.1.1 no such user"
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="550"):
        provider(port).send(DISPATCH, lambda: handoffs.append(True))
    assert handoffs == []


def test_a_temporary_refusal_is_retryable(server: tuple[Server, int]) -> None:
    handler, port = server
    handler.data_reply = "451 4.3.0 try again later"
    with pytest.raises(RetryableProviderError, match="451"):
        provider(port).send(DISPATCH, lambda: None)
    assert handler.received == []


def test_a_server_that_is_down_is_retryable() -> None:
    with pytest.raises(RetryableProviderError, match="connect"):
        provider(free_port()).send(DISPATCH, lambda: None)
