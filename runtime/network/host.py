"""What the host already uses, so that no network of ours overlaps it.

Docker checks a new subnet against the host's routes and its resolvers; we check
routes of every table (but not default routes), the host's own addresses, and the
nameservers of ``/etc/resolv.conf``, and leave out what belongs to our own bridges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.network.pools import IPNetwork, resolv_conf_servers

if TYPE_CHECKING:
    from runtime.network.links import Links

RESOLV_CONF = Path("/etc/resolv.conf")


def host_resolvers(path: Path = RESOLV_CONF) -> tuple[str, ...]:
    try:
        return resolv_conf_servers(path.read_text())
    except OSError:
        return ()


def host_taken(links: Links, own_bridges: Iterable[str] = (),
               resolv_conf: Path = RESOLV_CONF) -> tuple[IPNetwork, ...]:
    """Routes (all tables), addresses and resolvers of the host, as networks."""
    taken = {ipaddress.ip_network(n) for n in links.call("host_networks", skip=sorted(own_bridges))}
    for server in host_resolvers(resolv_conf):
        ip = ipaddress.ip_address(server)
        if not ip.is_loopback:
            taken.add(ipaddress.ip_network(ip))
    return tuple(sorted(taken, key=lambda n: (n.version, n)))
