"""A container's interfaces: a veth pair per network, addresses, routes, loopback, sysctls.

``wire`` runs once per container after its network namespace exists and before its
process starts. The host end (``pcv-…``) is enslaved to the network's bridge; the peer
is created directly inside the container's namespace under its final name (``eth0``,
``eth1``, … in priority order), so no rename or move is needed. The first attachment on
a network that is not ``internal`` gives the default route(s).
"""

from __future__ import annotations

import errno
import ipaddress
import os
from collections.abc import Sequence
from typing import Any

from runtime.errors import RuntimeFailure
from runtime.network import netns
from runtime.network.bridge import IFA_F_NODAD, link_index
from runtime.network.records import Attachment, NetworkRecord

LOOPBACK_INDEX = 1  # lo is interface 1 in every network namespace


def mac_for(address: str | None, seed: str) -> str:
    """Docker's scheme: 02:42 + the IPv4 address; without one, 02:42 + hash bytes."""
    if address:
        raw = ipaddress.ip_address(address).packed
        return "02:42:" + ":".join(f"{b:02x}" for b in raw)
    import hashlib

    digest = hashlib.sha256(seed.encode()).digest()
    return "02:42:" + ":".join(f"{b:02x}" for b in digest[:4])


def create_pair(ipr: Any, att: Attachment, bridge_index: int, ns_fd: int, mtu: int) -> None:
    """The veth pair of ``att``: host end on the bridge and up, peer in the namespace."""
    from pyroute2 import NetlinkError

    stale = link_index(ipr, att.veth)
    if stale is not None:  # left by a crashed run: start over, the peer goes with it
        remove_pair(ipr, att.veth)
    try:
        ipr.link("add", ifname=att.veth, kind="veth", mtu=mtu, master=bridge_index, state="up",
                 peer={"ifname": att.ifname, "net_ns_fd": ns_fd, "address": att.mac, "mtu": mtu})
    except NetlinkError as exc:
        raise RuntimeFailure(f"cannot create veth {att.veth} for {att.network_name}: {exc}",
                             errno=exc.code) from None
    # Hairpin: a container reaching its own published port through the host comes back
    # out of the bridge port it entered by (Docker sets this too without its proxy).
    try:
        with open(f"/sys/class/net/{att.veth}/brport/hairpin_mode", "w") as f:
            f.write("1")
    except OSError as exc:
        raise RuntimeFailure(f"cannot set hairpin mode on {att.veth}: {exc.strerror}", errno=exc.errno) from None


def remove_pair(ipr: Any, name: str) -> None:
    from pyroute2 import NetlinkError

    index = link_index(ipr, name)
    if index is None:
        return
    try:
        ipr.link("del", index=index)
    except NetlinkError as exc:
        if exc.code not in (errno.ENODEV, errno.ENOENT):
            raise RuntimeFailure(f"cannot remove veth {name}: {exc}", errno=exc.code) from None


def configure_inside(ns_ipr: Any, attachments: Sequence[tuple[Attachment, NetworkRecord]]) -> None:
    """Loopback up, then each interface's addresses, state and the default routes."""
    ns_ipr.link("set", index=LOOPBACK_INDEX, state="up")
    gateways: dict[int, str] = {}
    for att, rec in attachments:
        index = link_index(ns_ipr, att.ifname)
        if index is None:
            raise RuntimeFailure(f"interface {att.ifname} missing inside the container's namespace")
        for text, version in ((att.ipv4, 4), (att.ipv6, 6)):
            subnet = rec.subnet(version)
            if not text or subnet is None:
                continue
            _add_addr(ns_ipr, index, text, subnet.subnet.prefixlen, version)
            if not rec.internal and version not in gateways:
                gateways[version] = str(subnet.gateway)
        ns_ipr.link("set", index=index, state="up")
    for version, gateway in gateways.items():
        _add_default_route(ns_ipr, gateway, version)


def _add_addr(ns_ipr: Any, index: int, address: str, prefixlen: int, version: int) -> None:
    from pyroute2 import NetlinkError

    try:
        ns_ipr.addr("add", index=index, address=address, prefixlen=prefixlen,
                    flags=IFA_F_NODAD if version == 6 else 0)
    except NetlinkError as exc:
        if exc.code != errno.EEXIST:
            raise RuntimeFailure(f"cannot add address {address}/{prefixlen}: {exc}", errno=exc.code) from None


def _add_default_route(ns_ipr: Any, gateway: str, version: int) -> None:
    from pyroute2 import NetlinkError

    try:
        ns_ipr.route("add", dst="default", gateway=gateway, family=10 if version == 6 else 2)
    except NetlinkError as exc:
        if exc.code != errno.EEXIST:
            raise RuntimeFailure(f"cannot add default route via {gateway}: {exc}", errno=exc.code) from None


def apply_sysctls(path: str, sysctls: Sequence[tuple[str, str]], *, no_ipv6: Sequence[str] = ()) -> None:
    """``net.*`` sysctls inside the namespace (others belong to the container runtime);
    IPv6 is switched off on the interfaces in ``no_ipv6`` (those of networks without IPv6, as
    Docker does), so they get no link-local address and send no router solicitations."""
    wanted = [(f"net.ipv6.conf.{name}.disable_ipv6", "1") for name in no_ipv6]
    wanted += [(k, v) for k, v in sysctls if k.startswith("net.")]

    def run() -> None:
        for name, value in wanted:
            netns.write_sysctl(name, value)

    if wanted:
        netns.inside(path, run)


def open_ns(path: str) -> int:
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
