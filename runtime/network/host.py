"""What the host already uses, so that no network of ours overlaps it.

Docker checks a new subnet against the host's routes and its resolvers; we check
routes of every table (but not default routes), the host's own addresses, and the
nameservers of ``/etc/resolv.conf``, and leave out what belongs to our own bridges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path

from runtime.network.pools import IPNetwork, resolv_conf_servers

RESOLV_CONF = Path("/etc/resolv.conf")
# Networks that are never "taken" by a route in the sense of IPAM.
_IGNORED = {ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")}


def host_resolvers(path: Path = RESOLV_CONF) -> tuple[str, ...]:
    try:
        return resolv_conf_servers(path.read_text())
    except OSError:
        return ()


def host_taken(own_bridges: Iterable[str] = (), resolv_conf: Path = RESOLV_CONF) -> tuple[IPNetwork, ...]:
    """Routes (all tables), addresses and resolvers of the host, as networks."""
    from pyroute2 import IPRoute

    skip = set(own_bridges)
    taken: set[IPNetwork] = set()
    with IPRoute() as ipr:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        for family in (2, 10):
            for route in ipr.route("dump", family=family):
                dst = route.get_attr("RTA_DST")
                oif = route.get_attr("RTA_OIF")
                if dst is None or names.get(oif) in skip:
                    continue
                net = ipaddress.ip_network(f"{dst}/{route['dst_len']}", strict=False)
                if net.is_loopback or net.is_link_local or net.is_multicast or net in _IGNORED:
                    continue
                taken.add(net)
            for addr in ipr.get_addr(family=family):
                if names.get(addr["index"]) in skip:
                    continue
                ip = ipaddress.ip_address(addr.get_attr("IFA_ADDRESS"))
                if not (ip.is_loopback or ip.is_link_local):
                    taken.add(ipaddress.ip_network(ip))
    for server in host_resolvers(resolv_conf):
        ip = ipaddress.ip_address(server)
        if not ip.is_loopback:
            taken.add(ipaddress.ip_network(ip))
    return tuple(sorted(taken, key=lambda n: (n.version, n)))
