"""IP address management: which subnet a network gets, which address a container gets.

Pure functions over plain values; the caller supplies what is taken (other networks'
subnets, the host's routes, addresses and resolvers) and persists the result.

Rules (Docker's, plus one): an automatic subnet is the first subnet of the configured
pools that overlaps nothing taken; a user-given subnet must not overlap another network
of ours (Docker's "Pool overlaps with other one on this address space") and, unlike
Docker, must not overlap a host route or a host resolver either, because that would cut
the host off. The gateway is the first host address unless given; the network and
broadcast addresses, the gateway and ``aux_addresses`` are never handed out; dynamic
addresses come from ``ip_range`` when given, else from the whole subnet; a static
address may be anywhere in the subnet that is free.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Set
from dataclasses import dataclass

from runtime.errors import Conflict, RuntimeFailure
from runtime.network.pools import AddressPool, IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class IpamRequest:
    """One ``ipam.config`` entry as the user wrote it (all optional)."""

    subnet: str | None = None
    gateway: str | None = None
    ip_range: str | None = None
    aux_addresses: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Subnet:
    """One subnet of a network after IPAM: what is reserved and where dynamic addresses come from."""

    subnet: IPNetwork
    gateway: IPAddress
    ip_range: IPNetwork | None = None
    aux_addresses: tuple[tuple[str, IPAddress], ...] = ()

    @property
    def version(self) -> int:
        return self.subnet.version

    def reserved(self) -> set[IPAddress]:
        out: set[IPAddress] = {self.subnet.network_address, self.gateway}
        if self.subnet.version == 4 and self.subnet.prefixlen < 31:
            out.add(self.subnet.broadcast_address)
        out.update(addr for _, addr in self.aux_addresses)
        return out

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"Subnet": str(self.subnet), "Gateway": str(self.gateway)}
        if self.ip_range is not None:
            out["IPRange"] = str(self.ip_range)
        if self.aux_addresses:
            out["AuxiliaryAddresses"] = {k: str(v) for k, v in self.aux_addresses}
        return out

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Subnet:
        aux = data.get("AuxiliaryAddresses") or {}
        assert isinstance(aux, dict)
        return cls(
            ipaddress.ip_network(str(data["Subnet"])),
            ipaddress.ip_address(str(data["Gateway"])),
            ipaddress.ip_network(str(data["IPRange"])) if data.get("IPRange") else None,
            tuple((str(k), ipaddress.ip_address(str(v))) for k, v in aux.items()),
        )


def overlaps(net: IPNetwork, others: Iterable[IPNetwork]) -> IPNetwork | None:
    """The first of ``others`` (same family) that overlaps ``net``."""
    for other in others:
        if other.version == net.version and net.overlaps(other):  # type: ignore[arg-type]
            return other
    return None


def choose_subnet(pools: Iterable[AddressPool], version: int, ours: Iterable[IPNetwork],
                  host: Iterable[IPNetwork]) -> IPNetwork:
    """The first pool subnet overlapping neither our networks nor the host's routes/resolvers."""
    taken = [n for n in (*ours, *host) if n.version == version]
    for pool in pools:
        if pool.base.version != version:
            continue
        for candidate in pool.subnets():
            if overlaps(candidate, taken) is None:
                return candidate
    family = "IPv4" if version == 4 else "IPv6"
    raise RuntimeFailure(
        f"could not find an available, non-overlapping {family} address pool among the defaults "
        f"to assign to the network")


def _net(text: str, what: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise RuntimeFailure(f"invalid {what} {text!r}") from None


def _addr(text: str, what: str) -> IPAddress:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise RuntimeFailure(f"invalid {what} {text!r}") from None


def plan_subnet(request: IpamRequest, subnet: IPNetwork, network: str) -> Subnet:
    """Check a request against its subnet (given or chosen) and fill in the gateway."""
    if request.subnet is not None and str(subnet.network_address) != request.subnet.partition("/")[0]:
        # Docker refuses host bits in a subnet; so do we (a typo is likelier than intent).
        raise RuntimeFailure(f"network {network}: invalid subnet {request.subnet}: it has host bits set "
                             f"(did you mean {subnet}?)")
    ip_range = None
    if request.ip_range:
        ip_range = _net(request.ip_range, "ip_range")
        if ip_range.version != subnet.version or not ip_range.subnet_of(subnet):  # type: ignore[arg-type]
            raise RuntimeFailure(f"network {network}: ip_range {ip_range} is not inside subnet {subnet}")
    if request.gateway:
        gateway = _addr(request.gateway, "gateway")
        if gateway not in subnet:
            raise RuntimeFailure(f"network {network}: gateway {gateway} is not inside subnet {subnet}")
    else:
        if subnet.num_addresses < 4 and subnet.version == 4:
            raise RuntimeFailure(f"network {network}: subnet {subnet} is too small")
        gateway = subnet.network_address + 1
    aux: list[tuple[str, IPAddress]] = []
    for name, text in request.aux_addresses:
        addr = _addr(text, f"aux address {name}")
        if addr not in subnet:
            raise RuntimeFailure(f"network {network}: aux address {name}={addr} is not inside subnet {subnet}")
        aux.append((name, addr))
    return Subnet(subnet, gateway, ip_range, tuple(aux))


def plan_subnets(requests: Iterable[IpamRequest], *, enable_ipv6: bool, pools: Iterable[AddressPool],
                 ours: Iterable[IPNetwork], host: Iterable[IPNetwork], network: str) -> tuple[Subnet, ...]:
    """All subnets of a new network: the requested ones, plus an automatic one per family
    that needs one (IPv4 always, IPv6 when enabled)."""
    pools = tuple(pools)
    ours = list(ours)
    host = tuple(host)
    out: list[Subnet] = []
    for req in requests:
        if req.subnet:
            net = _net(req.subnet, "subnet")
            clash = overlaps(net, ours)
            if clash is not None:
                raise Conflict(f"network {network}: invalid pool request: Pool overlaps with other one "
                               f"on this address space ({net} overlaps {clash})")
            clash = overlaps(net, host)
            if clash is not None:
                raise Conflict(f"network {network}: subnet {net} overlaps the host's route or resolver "
                               f"{clash}; choose another subnet")
        else:
            version = 6 if req.gateway and ":" in req.gateway else 4
            net = choose_subnet(pools, version, ours, host)
        out.append(plan_subnet(req, net, network))
        ours.append(net)
    for version in (4, 6) if enable_ipv6 else (4,):
        if not any(s.version == version for s in out):
            net = choose_subnet(pools, version, ours, host)
            out.append(plan_subnet(IpamRequest(), net, network))
            ours.append(net)
    return tuple(out)


def allocate(subnet: Subnet, used: Set[IPAddress], requested: str | None = None, *,
             network: str = "", owner: str = "") -> IPAddress:
    """A free address of ``subnet``: ``requested`` (checked) or the lowest free dynamic one."""
    reserved = subnet.reserved()
    if requested is not None:
        addr = _addr(requested, "address")
        if addr not in subnet.subnet:
            raise RuntimeFailure(f"{owner}: address {addr} is not in network {network}'s subnet {subnet.subnet}")
        if addr in used or addr in reserved:
            what = "the gateway or a reserved address" if addr in reserved else "already in use"
            raise Conflict(f"{owner}: address {addr} on network {network} is {what}")
        return addr
    space = subnet.ip_range or subnet.subnet
    start = int(space.network_address)
    end = int(space.broadcast_address)
    # Skip the network address; in a v4 range the broadcast address is reserved anyway.
    for value in range(start + 1 if space.num_addresses > 2 else start, end + 1):
        addr = ipaddress.ip_address(value)
        if addr not in used and addr not in reserved:
            return addr
    raise RuntimeFailure(f"{owner}: no available IPv{subnet.version} addresses on network {network} ({space})")
