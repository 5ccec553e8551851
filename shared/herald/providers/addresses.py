"""Which IP addresses Herald may connect to on a tenant's behalf: globally reachable ones.

Python's ``is_global`` follows the IANA special-purpose registries only in part
(and differently between patch releases), so the registries' not-globally-reachable
blocks are listed here, and an IPv6 address that carries an IPv4 address inside it
(IPv4-mapped, NAT64, 6to4, Teredo) is judged by the IPv4 address it leads to.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates), plus multicast.
_NOT_GLOBAL_V4 = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # this network
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, the metadata server among them
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)

# IANA IPv6 Special-Purpose Address Registry, plus multicast. The prefixes that embed
# an IPv4 address (::ffff:0:0/96, 64:ff9b::/96, 2002::/16, 2001::/32) are judged by it.
_NOT_GLOBAL_V6 = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to, if it is of a kind that embeds them."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [server, client]
    return []


def is_public(address: str) -> bool:
    """True for a globally reachable unicast address (a zone index ``%eth0`` is ignored)."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if inner := embedded_ipv4(ip):
            return all(is_public(str(v4)) for v4 in inner)
        return ip.is_global and not any(ip in block for block in _NOT_GLOBAL_V6)
    return ip.is_global and not any(ip in block for block in _NOT_GLOBAL_V4)
