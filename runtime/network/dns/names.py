"""Who may resolve which name to which address: the resolver's view of the state files.

Scoping follows Docker: a container resolves a name only through networks it shares
with the owner of the name. The names of a container on a network are its container
name, its short ID, its hostname, its service name and its aliases on that network;
``links`` aliases are private to the linking container. A name with several owners (the
replicas of a scaled service) yields all their addresses. Reverse (PTR) lookups answer
``<container name>.<network name>`` for any address on a shared network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from runtime.network.records import EndpointRecord, NetworkRecord


def normalize(name: str) -> str:
    return name.rstrip(".").lower()


def names_of(ep: EndpointRecord, network_id: str) -> set[str]:
    att = ep.on(network_id)
    if att is None:
        return set()
    names = {ep.name, ep.container_id[:12], *att.aliases}
    if ep.hostname:
        names.add(ep.hostname)
    if ep.service:
        names.add(ep.service)
    return {normalize(n) for n in names if n}


@dataclass(frozen=True)
class Asker:
    """The view of one container (one namespace): what it may resolve, where to forward."""

    container_id: str
    forward: bool  # False when all its networks are internal
    upstream: tuple[str, ...]  # the container's own ``dns`` servers, else empty
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> addresses (v4 and v6)
    reverse: dict[str, str] = field(default_factory=dict)  # address -> PTR name

    def lookup(self, name: str) -> tuple[str, ...] | None:
        """Addresses for ``name``, or None when the name is not ours (to be forwarded)."""
        return self.names.get(normalize(name))

    def lookup_reverse(self, address: str) -> str | None:
        return self.reverse.get(address)


def build(endpoints: Iterable[EndpointRecord], networks: Iterable[NetworkRecord]) -> dict[str, Asker]:
    """One Asker per namespace path that serves a container on a network of ours."""
    eps = [e for e in endpoints if e.attachments]
    by_id = {n.id: n for n in networks}
    by_name = {e.name: e for e in eps}
    out: dict[str, Asker] = {}
    views: dict[tuple[str, ...], tuple[dict[str, tuple[str, ...]], dict[str, str]]] = {}
    for asker in eps:
        shared = {a.network_id for a in asker.attachments}
        key = tuple(sorted(shared))
        if key not in views:  # containers on the same networks see the same names: build once
            views[key] = _view(eps, key, by_id)
        view, reverse = views[key]
        names = {k: list(v) for k, v in view.items()} if asker.links else None
        for target, alias in asker.links:
            other = by_name.get(target)
            if other is None:
                continue
            addrs = [str(a) for att in other.attachments if att.network_id in shared for a in att.addresses()]
            if addrs and names is not None:
                names[normalize(alias)] = addrs
        internal_only = all(by_id.get(a.network_id) is not None and by_id[a.network_id].internal
                            for a in asker.attachments)
        final = view if names is None else {k: tuple(v) for k, v in names.items()}
        out[asker.netns] = Asker(asker.container_id, not internal_only, asker.dns, final, reverse)
    return out


def _view(eps: list[EndpointRecord], shared: tuple[str, ...],
          by_id: dict[str, NetworkRecord]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Names and reverse names seen through the networks ``shared`` (one pass over ``eps``)."""
    names: dict[str, list[str]] = {}
    reverse: dict[str, str] = {}
    for other in eps:
        for net_id in shared:
            att = other.on(net_id)
            if att is None:
                continue
            addrs = [str(a) for a in att.addresses()]
            for n in names_of(other, net_id):
                bucket = names.setdefault(n, [])
                bucket.extend(a for a in addrs if a not in bucket)
            net = by_id.get(net_id)
            for a in addrs:
                reverse.setdefault(a, f"{other.name}.{net.name if net else net_id[:12]}")
    return {k: tuple(v) for k, v in names.items()}, reverse


def reverse_name_to_address(qname: str) -> str | None:
    """``4.3.2.1.in-addr.arpa`` -> ``1.2.3.4`` (and ip6.arpa nibbles); None otherwise."""
    name = normalize(qname)
    if name.endswith(".in-addr.arpa"):
        parts = name[: -len(".in-addr.arpa")].split(".")
        if len(parts) == 4:
            try:
                return str(ipaddress.IPv4Address(".".join(reversed(parts))))
            except ValueError:
                return None
    if name.endswith(".ip6.arpa"):
        nibbles = name[: -len(".ip6.arpa")].split(".")
        if len(nibbles) == 32 and all(len(n) == 1 for n in nibbles):
            hexstr = "".join(reversed(nibbles))
            try:
                return str(ipaddress.IPv6Address(int(hexstr, 16)))
            except ValueError:
                return None
    return None
