"""A network's Linux bridge: idempotent ``ensure_bridge`` and ``remove_bridge`` over netlink.

The bridge carries the gateway address of each of the network's subnets and is the
host end of every container on the network. "Already exists" and "already gone" are
recognised by errno (``NetlinkError.code``), so a re-run after a crash converges.
"""

from __future__ import annotations

import errno
from typing import Any

from runtime.errors import RuntimeFailure
from runtime.network import netns
from runtime.network.records import NetworkRecord

IFA_F_NODAD = 0x02


def link_index(ipr: Any, name: str) -> int | None:
    """The index of interface ``name`` (one netlink request, not a dump); None if absent."""
    from pyroute2 import NetlinkError

    try:
        reply = ipr.link("get", ifname=name)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT):
            return None
        raise
    return int(reply[0]["index"]) if reply else None


def _fail(what: str, exc: Exception) -> RuntimeFailure:
    code = getattr(exc, "code", None)
    return RuntimeFailure(f"{what}: {exc}", errno=code if isinstance(code, int) else None)


def ensure_bridge(ipr: Any, rec: NetworkRecord) -> int:
    """The bridge of ``rec``, created and configured if needed; its interface index."""
    from pyroute2 import NetlinkError

    index = link_index(ipr, rec.bridge)
    if index is None:
        try:
            ipr.link("add", ifname=rec.bridge, kind="bridge", mtu=rec.mtu)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise _fail(f"cannot create bridge {rec.bridge} for network {rec.name}", exc) from None
        index = link_index(ipr, rec.bridge)
        if index is None:
            raise RuntimeFailure(f"bridge {rec.bridge} of network {rec.name} vanished while being created")
    if rec.enable_ipv6:
        netns.write_sysctl(f"net.ipv6.conf.{rec.bridge}.disable_ipv6", "0")
    for subnet in rec.subnets:
        try:
            ipr.addr("add", index=index, address=str(subnet.gateway), prefixlen=subnet.subnet.prefixlen,
                     flags=IFA_F_NODAD if subnet.version == 6 else 0)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise _fail(f"cannot set gateway {subnet.gateway} on bridge {rec.bridge}", exc) from None
    try:
        ipr.link("set", index=index, state="up")
    except NetlinkError as exc:
        raise _fail(f"cannot bring bridge {rec.bridge} up", exc) from None
    # Published ports answer on 127.0.0.1 too: loopback-sourced packets may leave through the bridge
    # once DNAT has rewritten their destination (Docker does the same without its userland proxy).
    netns.write_sysctl(f"net.ipv4.conf.{rec.bridge}.route_localnet", "1")
    return index


def remove_bridge(ipr: Any, name: str) -> None:
    from pyroute2 import NetlinkError

    index = link_index(ipr, name)
    if index is None:
        return
    try:
        ipr.link("del", index=index)
    except NetlinkError as exc:
        if exc.code not in (errno.ENODEV, errno.ENOENT):
            raise _fail(f"cannot remove bridge {name}", exc) from None
