"""Which client addresses may read an internal page (/metrics, /health).

Both settings (METRICS_ALLOWED_NETWORKS, HEALTH_ALLOWED_NETWORKS) are lists
of addresses or networks, ``10.0.0.0/8`` or ``127.0.0.1``; an empty list
allows every client. The check lives here, once, so the two pages cannot
drift apart in how they read the same kind of setting.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def parse_networks(networks: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of a setting. Host bits may be set (``10.1.2.3/8`` means
    ``10.0.0.0/8``); anything that is not a network raises ValueError."""
    return tuple(ipaddress.ip_network(net, strict=False) for net in networks)


def _as_tuple(networks: str | Iterable[str]) -> tuple[str, ...]:
    # config.py gives a list; a value set in code may still be "a,b".
    items = networks.split(",") if isinstance(networks, str) else networks
    return tuple(item.strip() for item in items if item.strip())


def check_networks(name: str, networks: str | Iterable[str]) -> None:
    """Refuse a setting that cannot work at start-up, not at the first request."""
    try:
        parse_networks(_as_tuple(networks))
    except ValueError as exc:
        raise ValueError(f"{name} must be comma-separated addresses or networks: {exc}") from None


def address_allowed(remote_addr: str | None, networks: str | Iterable[str]) -> bool:
    """Whether ``remote_addr`` is in one of ``networks`` (all, when empty).
    A missing or malformed address is refused: it cannot be in any network."""
    listed = parse_networks(_as_tuple(networks))
    if not listed:
        return True
    try:
        addr = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(addr in net for net in listed)
