"""What the network side persists: one record per network, one per attached container.

Layout under the state root::

    network/networks/<id>.json      NetworkRecord (immutable once created)
    network/endpoints/<cid>.json    EndpointRecord: a container's interfaces, names, ports
    network/files/<cid>/            hosts, resolv.conf, hostname for bind-mounting

Addresses in use on a network are the union of its endpoints' addresses, so there is one
source of truth. Every change runs under the ``network`` lock of the run root and is
written with ``atomic_write``. The embedded resolver reads the same files.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runtime.network.ipam import IPAddress, Subnet
from runtime.state import StateRoot, read_json, write_json

IFNAMSIZ = 15
BRIDGE_PREFIX = "pcb-"
VETH_PREFIX = "pcv-"


def _hex(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def bridge_name(network_name: str, taken: set[str]) -> str:
    """``pcb-`` + 11 hex digits of the network's name; re-salted while taken."""
    n = 0
    while True:
        candidate = BRIDGE_PREFIX + _hex(network_name if n == 0 else f"{network_name}#{n}",
                                         IFNAMSIZ - len(BRIDGE_PREFIX))
        if candidate not in taken:
            return candidate
        n += 1


def veth_name(container_id: str, network_id: str) -> str:
    return VETH_PREFIX + _hex(f"{container_id}/{network_id}", IFNAMSIZ - len(VETH_PREFIX))


def _pairs(value: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((value or {}).items()))


@dataclass(frozen=True)
class NetworkRecord:
    id: str
    name: str
    bridge: str
    subnets: tuple[Subnet, ...]
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    mtu: int = 1500
    created: str = ""

    def subnet(self, version: int) -> Subnet | None:
        return next((s for s in self.subnets if s.version == version), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "Id": self.id, "Name": self.name, "Created": self.created, "Driver": self.driver,
            "Scope": "local", "EnableIPv6": self.enable_ipv6, "Internal": self.internal,
            "Attachable": self.attachable, "Labels": dict(self.labels), "Options": dict(self.options),
            "IPAM": {"Driver": "default", "Config": [s.to_json() for s in self.subnets]},
            "Bridge": self.bridge, "MTU": self.mtu,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> NetworkRecord:
        return cls(
            id=d["Id"], name=d["Name"], bridge=d["Bridge"],
            subnets=tuple(Subnet.from_json(s) for s in d["IPAM"]["Config"]),
            driver=d.get("Driver", "bridge"), internal=bool(d.get("Internal")),
            attachable=bool(d.get("Attachable")), enable_ipv6=bool(d.get("EnableIPv6")),
            labels=_pairs(d.get("Labels")), options=_pairs(d.get("Options")),
            mtu=int(d.get("MTU", 1500)), created=d.get("Created", ""),
        )


@dataclass(frozen=True)
class PortBinding:
    """One published port after allocation: host side -> container side."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str = ""  # "" = all addresses
    host_port: int = 0  # 0 before allocation: a random free port

    def render(self) -> str:
        host = self.host_ip or "0.0.0.0"
        return f"{host}:{self.host_port}->{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class Attachment:
    """One interface of a container on one network."""

    network_id: str
    network_name: str
    ifname: str
    veth: str
    mac: str
    ipv4: str | None = None
    ipv6: str | None = None
    aliases: tuple[str, ...] = ()

    def addresses(self) -> tuple[IPAddress, ...]:
        return tuple(ipaddress.ip_address(a) for a in (self.ipv4, self.ipv6) if a)


@dataclass(frozen=True)
class EndpointRecord:
    container_id: str
    name: str
    netns: str  # "" for network_mode: host
    mode: str = "bridge"  # bridge, none, host, container:<id>
    owns_netns: bool = False
    hostname: str = ""
    domainname: str = ""
    project: str = ""
    service: str = ""
    attachments: tuple[Attachment, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (target container name, alias)
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    ports: tuple[PortBinding, ...] = ()
    files: str = ""  # directory with hosts, resolv.conf, hostname

    def on(self, network_id: str) -> Attachment | None:
        return next((a for a in self.attachments if a.network_id == network_id), None)

    def with_ports(self, ports: tuple[PortBinding, ...]) -> EndpointRecord:
        return replace(self, ports=ports)

    def to_json(self) -> dict[str, Any]:
        import dataclasses

        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EndpointRecord:
        return cls(
            **{k: v for k, v in d.items() if k not in ("attachments", "ports", "links", "dns", "dns_search",
                                                       "dns_options")},
            attachments=tuple(Attachment(**{**a, "aliases": tuple(a.get("aliases", ()))})
                              for a in d.get("attachments", ())),
            links=tuple((str(a), str(b)) for a, b in d.get("links", ())),
            dns=tuple(d.get("dns", ())), dns_search=tuple(d.get("dns_search", ())),
            dns_options=tuple(d.get("dns_options", ())),
            ports=tuple(PortBinding(**p) for p in d.get("ports", ())),
        )


@dataclass(frozen=True)
class NetworkStore:
    """The network records of one state root."""

    state: StateRoot

    @property
    def base(self) -> Path:
        return self.state.root / "network"

    @property
    def run(self) -> Path:
        return self.state.run / "network"

    def lock(self):  # -> FileLock
        return self.state.lock("network")

    def netns_path(self, container_id: str) -> Path:
        return self.run / "netns" / container_id

    def files_dir(self, container_id: str) -> Path:
        return self.base / "files" / container_id

    # networks
    def networks(self) -> list[NetworkRecord]:
        return [NetworkRecord.from_json(d) for d in self._all("networks")]

    def save_network(self, rec: NetworkRecord) -> None:
        write_json(self.base / "networks" / f"{rec.id}.json", rec.to_json())

    def delete_network(self, network_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.base / "networks" / f"{network_id}.json").unlink()

    # endpoints
    def endpoints(self) -> list[EndpointRecord]:
        return [EndpointRecord.from_json(d) for d in self._all("endpoints")]

    def endpoint(self, container_id: str) -> EndpointRecord | None:
        path = self.base / "endpoints" / f"{container_id}.json"
        return EndpointRecord.from_json(read_json(path)) if path.exists() else None

    def save_endpoint(self, rec: EndpointRecord) -> None:
        # Atomic but not fsynced: what it describes (veths, namespaces) does not survive a
        # power loss either, and the fsync would double a container's set-up time.
        write_json(self.base / "endpoints" / f"{rec.container_id}.json", rec.to_json(), sync=False)

    def delete_endpoint(self, container_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.base / "endpoints" / f"{container_id}.json").unlink()

    def _all(self, kind: str) -> Iterator[dict[str, Any]]:
        directory = self.base / kind
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            return
        for name in names:
            if name.endswith(".json") and not name.startswith("."):
                try:
                    yield read_json(directory / name)
                except FileNotFoundError:
                    continue
