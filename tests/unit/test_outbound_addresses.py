"""Which addresses outbound calls may reach: every special-purpose class, and IPv6 forms
that lead to an IPv4 address, judged by where they lead."""

import pytest

from herald.errors import PermanentProviderError
from herald.providers.addresses import is_public
from herald.providers.http import exchange

REFUSED = {
    # IPv4 special-purpose blocks
    "0.0.0.0": "this network",
    "10.1.2.3": "private",
    "100.64.0.1": "shared address space (carrier-grade NAT)",
    "100.127.255.254": "shared address space, its last address",
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback, elsewhere in 127/8",
    "169.254.169.254": "link-local: the metadata server",
    "172.16.0.1": "private",
    "172.31.255.255": "private, the end of 172.16/12",
    "192.0.0.8": "IETF protocol assignments",
    "192.0.2.1": "documentation",
    "192.88.99.1": "6to4 relay anycast",
    "192.168.1.1": "private",
    "198.18.0.1": "benchmarking",
    "198.51.100.7": "documentation",
    "203.0.113.9": "documentation",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast (SSDP)",
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    # IPv6 special-purpose blocks
    "::": "unspecified",
    "::1": "loopback",
    "::7f00:1": "IPv4-compatible loopback (deprecated form)",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local with a zone index",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "fec0::1": "site-local (deprecated)",
    "ff02::1": "multicast",
    "ff0e::1": "global-scope multicast",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation",
    "100::1": "discard-only",
    "5f00::1": "segment routing",
    "64:ff9b:1::a00:1": "local-use NAT64",
    "2001:2::1": "IETF protocol assignments (benchmarking)",
    # IPv6 forms that embed a non-global IPv4 address
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:169.254.169.254": "IPv4-mapped metadata server",
    "::ffff:100.64.0.1": "IPv4-mapped shared address space",
    "64:ff9b::7f00:1": "NAT64 of loopback",
    "64:ff9b::a9fe:a9fe": "NAT64 of the metadata server",
    "64:ff9b::a00:1": "NAT64 of a private address",
    "2002:7f00:1::": "6to4 of loopback",
    "2002:a9fe:a9fe::1": "6to4 of the metadata server",
    "2002:c0a8:101::1": "6to4 of a private address",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "Teredo whose client is loopback",
    "2001:0:a00:1:8000:63bf:3fff:fdd2": "Teredo whose server is private",
}

ALLOWED = {
    "93.184.215.14": "a public IPv4 address",
    "8.8.8.8": "a public IPv4 address",
    "100.63.255.255": "just below the shared address space",
    "100.128.0.0": "just above the shared address space",
    "2606:4700:4700::1111": "a public IPv6 address",
    "::ffff:8.8.8.8": "IPv4-mapped public address",
    "64:ff9b::808:808": "NAT64 of a public address",
    "2002:808:808::1": "6to4 of a public address",
}


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_non_global_addresses_are_refused(address: str, kind: str) -> None:
    assert not is_public(address), kind


@pytest.mark.parametrize(("address", "kind"), ALLOWED.items())
def test_global_unicast_addresses_are_allowed(address: str, kind: str) -> None:
    assert is_public(address), kind


@pytest.mark.parametrize("address", ["100.64.0.1", "2002:7f00:1::", "64:ff9b::a9fe:a9fe"])
def test_an_outbound_call_to_such_an_address_is_refused_before_any_connection(
    address: str,
) -> None:
    handoffs: list[bool] = []
    with pytest.raises(PermanentProviderError, match="private or reserved"):
        exchange(
            "http://hooks.example.com/h",
            "POST",
            b"{}",
            {},
            lambda: handoffs.append(True),
            "webhook",
            resolver=lambda host, port: [address],
        )
    assert handoffs == []


def test_a_name_with_one_non_global_address_among_public_ones_is_refused() -> None:
    with pytest.raises(PermanentProviderError):
        exchange(
            "http://hooks.example.com/h",
            "POST",
            b"{}",
            {},
            lambda: None,
            "webhook",
            resolver=lambda host, port: ["93.184.215.14", "10.0.0.1"],
        )
