"""The network layer's netlink operations, as functions of JSON values.

Each runs in the link helper (``runtime.network.linkd``), a process that has the netlink
library loaded already, or in the calling command when no helper answers
(``runtime.network.links``): the same code either way, so both give the same result and the
same errors. Every operation is idempotent (a stale veth is replaced, an address or route that
exists is kept, a link already gone is fine), so a request cut off by a killed helper can be
made again in the command.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import Any

from runtime.network import bridge, netns, veth
from runtime.network.records import Attachment, NetworkRecord


def _ipr(path: str | None = None) -> Any:
    from pyroute2 import IPRoute

    return IPRoute(use_socket=netns.netlink_socket(path)) if path else IPRoute()


def ensure_bridge(network: dict[str, Any]) -> int:
    with _ipr() as ipr:
        return bridge.ensure_bridge(ipr, NetworkRecord.from_json(network))


def remove_bridge(name: str) -> None:
    with _ipr() as ipr:
        bridge.remove_bridge(ipr, name)


def wire(path: str, pairs: list[list[dict[str, Any]]]) -> None:
    """One veth pair per (attachment, network) into the namespace at ``path``, each host end on
    its network's bridge (made again if it was lost, e.g. by a reboot); then the inside."""
    records = [(Attachment(**{**a, "aliases": tuple(a.get("aliases", ()))}), NetworkRecord.from_json(n))
               for a, n in pairs]
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with _ipr() as ipr:
            for att, net in records:
                index = bridge.link_index(ipr, net.bridge)
                if index is None:
                    index = bridge.ensure_bridge(ipr, net)
                veth.create_pair(ipr, att, index, fd, net.mtu)
    finally:
        os.close(fd)
    with _ipr(path) as ns_ipr:
        veth.configure_inside(ns_ipr, records)


def loopback_up(path: str) -> None:
    with _ipr(path) as ns_ipr:
        ns_ipr.link("set", index=veth.LOOPBACK_INDEX, state="up")


def links_present(names: list[str]) -> bool:
    with _ipr() as ipr:
        return all(bridge.link_index(ipr, name) is not None for name in names)


def remove_pairs(names: list[str]) -> None:
    with _ipr() as ipr:
        for name in names:
            veth.remove_pair(ipr, name)


def host_links(prefix: str) -> list[str]:
    with _ipr() as ipr:
        return sorted(n for link in ipr.get_links() if (n := link.get_attr("IFLA_IFNAME")).startswith(prefix))


def host_networks(skip: list[str]) -> list[str]:
    """The host's routes (all tables, not default, loopback, link-local or multicast) and its
    own addresses, leaving out what belongs to the links named in ``skip``."""
    skipped = set(skip)
    taken: set[str] = set()
    with _ipr() as ipr:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        for family in (2, 10):
            for route in ipr.route("dump", family=family):
                dst = route.get_attr("RTA_DST")
                if dst is None or names.get(route.get_attr("RTA_OIF")) in skipped:
                    continue
                net = ipaddress.ip_network(f"{dst}/{route['dst_len']}", strict=False)
                if not (net.is_loopback or net.is_link_local or net.is_multicast or net.prefixlen == 0):
                    taken.add(str(net))
            for addr in ipr.get_addr(family=family):
                if names.get(addr["index"]) in skipped:
                    continue
                ip = ipaddress.ip_address(addr.get_attr("IFA_ADDRESS"))
                if not (ip.is_loopback or ip.is_link_local):
                    taken.add(str(ipaddress.ip_network(ip)))
    return sorted(taken)


OPS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn for fn in (ensure_bridge, remove_bridge, wire, loopback_up, links_present, remove_pairs,
                               host_links, host_networks)
}
