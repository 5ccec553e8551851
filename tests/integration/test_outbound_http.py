"""Outbound HTTP connects to the address it checked: a DNS answer that changes between
the check and the connection (rebinding) cannot reach loopback, whichever outbound
call it is; the Host header, the TLS server name and the certificate check keep the name.
"""

from __future__ import annotations

import datetime
import socket
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Request, Response

from herald.errors import ProviderError, RetryableProviderError
from herald.pipeline.customer_webhooks.sender import HttpSender
from herald.providers.base import Dispatch
from herald.providers.http import exchange
from herald.providers.slack import SlackProvider
from herald.providers.webhook import WebhookProvider
from herald_tools.local.serving import Served
from tests.integration.fakehttp import FakeApi, serve

pytestmark = pytest.mark.integration

# A globally reachable address (example.com's): what the name answers when it is checked.
PUBLIC = "93.184.215.14"
NAME = "hooks.herald.test"


@dataclass
class RebindingResolver:
    """Answers a public address the first time, loopback every time after."""

    calls: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return [PUBLIC] if len(self.calls) == 1 else ["127.0.0.1"]


def _webhook(port: int, resolver: RebindingResolver) -> None:
    WebhookProvider(timeout_s=0.5, resolver=resolver).send(
        Dispatch(
            "m1",
            "m1-webhook-1",
            {"webhook": {"url": f"http://{NAME}:{port}/computeMetadata/v1/"}},
            {"body": "x"},
        ),
        lambda: None,
    )


def _slack(port: int, resolver: RebindingResolver) -> None:
    SlackProvider(timeout_s=0.5, allowed_hosts=(NAME,), resolver=resolver).send(
        Dispatch(
            "m1",
            "m1-chat-1",
            {"slack": {"incoming_webhook": {"url": f"https://{NAME}:{port}/services/T/B/X"}}},
            {"text": "x"},
        ),
        lambda: None,
    )


def _customer_webhook(port: int, resolver: RebindingResolver) -> None:
    outcome = HttpSender(timeout_s=0.5, resolver=resolver).post(
        f"http://{NAME}:{port}/herald", b"{}", {}, allow_private=False
    )
    assert not outcome.ok
    raise RetryableProviderError(outcome.error or "", "webhooks")


@pytest.mark.parametrize(
    "call",
    [_webhook, _slack, _customer_webhook],
    ids=["webhook provider", "slack provider", "customer webhook"],
)
def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_reached(
    call: Callable[[int, RebindingResolver], None],
) -> None:
    resolver = RebindingResolver()
    with serve(FakeApi()) as loopback:
        with pytest.raises(ProviderError) as refused:
            call(loopback.port, resolver)
        assert loopback.requests == []
    assert resolver.calls == [NAME]  # resolved once: the connection used that answer
    assert PUBLIC in str(refused.value)  # it tried the address that was checked


def test_the_system_resolver_is_asked_once_even_when_its_answer_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The attack as it happens in production: the name's DNS answer changes between
    the check and the connection (here, ``getaddrinfo`` answering public, then loopback)."""
    real = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return real(host, port, *args, **kwargs)
        answers.append(PUBLIC if not answers else "127.0.0.1")
        return real(answers[-1], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://{NAME}:{{port}}/computeMetadata/v1/"
    with serve(FakeApi()) as loopback:
        with pytest.raises(ProviderError):
            WebhookProvider(timeout_s=0.5).send(
                Dispatch(
                    "m1", "m1-webhook-1", {"webhook": {"url": url.format(port=loopback.port)}}, {}
                ),
                lambda: None,
            )
        assert loopback.requests == []
    assert answers == [PUBLIC]


def test_the_host_header_names_the_host_while_the_connection_goes_to_its_address() -> None:
    calls: list[str] = []

    def loopback(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    with serve(FakeApi()) as fake:
        result = exchange(
            f"http://{NAME}:{fake.port}/h?x=1",
            "POST",
            b"{}",
            {"content-type": "application/json"},
            lambda: None,
            "webhook",
            allow_private=True,
            resolver=loopback,
        )
    assert result.status == 200
    [request] = fake.requests
    assert request.headers["host"] == f"{NAME}:{fake.port}"
    assert request.path == "/h?x=1"
    assert calls == [NAME]


@dataclass
class TlsServer:
    port: int
    trust: ssl.SSLContext  # a client context that trusts the server's certificate authority
    server_names: list[str | None]
    hosts: list[str]


def _certificate_authority(tmp: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``NAME`` signed by it: (ca, cert, key) PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Herald test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@contextmanager
def tls_server(tmp: Path) -> Iterator[TlsServer]:
    ca, cert, key = _certificate_authority(tmp)
    server_names: list[str | None] = []
    hosts: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)

    def app(environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        hosts.append(request.headers["host"])
        request.get_data()
        return Response(b"", 200)(environ, start)

    with Served(app, ssl_context=context) as served:
        yield TlsServer(
            served.port, ssl.create_default_context(cafile=str(ca)), server_names, hosts
        )


def test_tls_uses_the_name_for_sni_and_the_certificate_while_connecting_to_the_address(
    tmp_path: Path,
) -> None:
    with tls_server(tmp_path) as server:
        result = exchange(
            f"https://{NAME}:{server.port}/h",
            "POST",
            b"{}",
            {},
            lambda: None,
            "webhook",
            allow_private=True,
            resolver=lambda host, port: ["127.0.0.1"],
            tls=server.trust,
        )
        assert result.status == 200
        assert server.server_names == [NAME]
        assert server.hosts == [f"{NAME}:{server.port}"]


def test_a_certificate_for_another_name_is_refused_though_the_address_is_the_same(
    tmp_path: Path,
) -> None:
    handoffs: list[bool] = []
    with tls_server(tmp_path) as server:
        with pytest.raises(RetryableProviderError, match="certificate"):
            exchange(
                f"https://elsewhere.herald.test:{server.port}/h",
                "POST",
                b"{}",
                {},
                lambda: handoffs.append(True),
                "webhook",
                allow_private=True,
                resolver=lambda host, port: ["127.0.0.1"],
                tls=server.trust,
            )
        assert server.hosts == []
    assert handoffs == []
