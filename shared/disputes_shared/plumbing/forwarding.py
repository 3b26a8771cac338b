"""Who a request came from, through the proxies the deployment runs (its ingress controller, the
worker portal): each proxy adds the address it was reached from to ``X-Forwarded-For``, and a
server believes the header only as far as the hops it was told to trust. A client that writes
the header itself gains nothing: its own address is the first untrusted hop from the right."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

FORWARDED_FOR = "X-Forwarded-For"
# Hops looked at, at most: a header longer than any real chain of proxies is someone's padding.
MAX_HOPS = 20

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """The networks whose ``X-Forwarded-For`` is believed (empty: none, the peer is the client)."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, setting: str) -> TrustedProxies:
        """From a comma-separated list of addresses and networks (``10.0.0.0/8, ::1``); raises
        ``ValueError`` naming the entry that is neither."""
        networks = []
        for entry in (part.strip() for part in setting.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"trusted proxies: {entry!r} is not an address or a network") from None
        return cls(tuple(networks))

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False  # not an address: never a proxy of ours
        return any(ip in network for network in self.networks)

    def client_of(self, peer: str, forwarded_for: str | None) -> str:
        """The address a request came from: the peer, unless it is a trusted proxy; then the hop
        it names, and so on from the right, up to the first hop that is not trusted."""
        client = peer
        hops = [hop.strip() for hop in (forwarded_for or "").split(",")][-MAX_HOPS:]
        while self.trusts(client) and hops:
            hop = hops.pop()
            if hop:
                client = hop
        return client


def forwarded_for(received: str | None, peer: str) -> str:
    """The ``X-Forwarded-For`` a proxy sends on: what it received, with its own peer added."""
    hops = [hop.strip() for hop in (received or "").split(",") if hop.strip()]
    return ", ".join([*hops[-(MAX_HOPS - 1):], peer])
