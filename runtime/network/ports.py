"""Published ports: choosing host ports and checking that they are free.

A request names the container port and protocol, optionally a host address and a host
port or range. A host port already taken -- by a listening socket on the host or by a
port another container of ours publishes -- is a ``Conflict`` naming the port and the
service; an empty host port gets a free one from the kernel's ephemeral range (as
Docker's allocator). All of this happens before anything is created, so a conflict
leaves nothing half-made.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from runtime.errors import Conflict, RuntimeFailure
from runtime.network.records import PortBinding

PROTOCOLS = ("tcp", "udp")
RANDOM_ATTEMPTS = 64


@dataclass(frozen=True)
class PortRequest:
    """One ``ports`` entry in long form (compose's canonical model)."""

    target: int
    published: str = ""  # "", "8080" or "8000-8010"
    host_ip: str = ""
    protocol: str = "tcp"


def _overlap(a: str, b: str) -> bool:
    wild = ("", "0.0.0.0", "::")
    return a in wild or b in wild or a == b


def _family(host_ip: str) -> int:
    if host_ip and ipaddress.ip_address(host_ip).version == 6:
        return socket.AF_INET6
    return socket.AF_INET


def host_port_free(host_ip: str, port: int, protocol: str) -> bool:
    """Whether binding ``host_ip:port`` would succeed now (a listener elsewhere says no)."""
    family = _family(host_ip)
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    addr = host_ip or ("::" if family == socket.AF_INET6 else "0.0.0.0")
    with socket.socket(family, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            s.bind((addr, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            if exc.errno == errno.EADDRNOTAVAIL:
                raise RuntimeFailure(f"cannot publish on {host_ip}: not an address of this host") from None
            raise
    return True


def _random_port(host_ip: str, protocol: str) -> int:
    family = _family(host_ip)
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family, kind) as s:
        s.bind((host_ip or ("::" if family == socket.AF_INET6 else "0.0.0.0"), 0))
        return int(s.getsockname()[1])


def _range(published: str) -> tuple[int, int]:
    start, _, end = published.partition("-")
    try:
        lo, hi = int(start), int(end or start)
    except ValueError:
        raise RuntimeFailure(f"invalid published port {published!r}") from None
    if not 0 < lo <= hi < 65536:
        raise RuntimeFailure(f"invalid published port {published!r}")
    return lo, hi


def allocate_ports(requests: Iterable[PortRequest], taken: Iterable[PortBinding], *, owner: str) -> tuple[
        PortBinding, ...]:
    """Host ports for ``requests``; ``taken``: bindings of our other containers."""
    used = list(taken)
    out: list[PortBinding] = []

    def clash(host_ip: str, port: int, protocol: str) -> bool:
        return any(b.host_port == port and b.protocol == protocol and _overlap(b.host_ip, host_ip) for b in used)

    for req in requests:
        if req.protocol not in PROTOCOLS:
            raise RuntimeFailure(f"{owner}: publishing {req.protocol} ports is not supported (tcp and udp are)")
        host_ip = req.host_ip  # "" (both families), "0.0.0.0" or "::" (one), or an address
        if req.published:
            lo, hi = _range(req.published)
            chosen = next((p for p in range(lo, hi + 1)
                           if not clash(host_ip, p, req.protocol) and host_port_free(host_ip, p, req.protocol)),
                          None)
            if chosen is None:
                shown = f"{host_ip or '0.0.0.0'}:{req.published}"
                raise Conflict(f"service {owner}: cannot publish port {req.target}/{req.protocol}: "
                               f"Bind for {shown} failed: port is already allocated",
                               errno=errno.EADDRINUSE)
        else:
            chosen = 0
            for _ in range(RANDOM_ATTEMPTS):
                candidate = _random_port(host_ip, req.protocol)
                if not clash(host_ip, candidate, req.protocol):
                    chosen = candidate
                    break
            if not chosen:
                raise Conflict(f"service {owner}: no free host port for {req.target}/{req.protocol}")
        binding = PortBinding(req.target, req.protocol, host_ip, chosen)
        used.append(binding)
        out.append(binding)
    return tuple(out)
