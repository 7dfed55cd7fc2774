"""Networks as ``compose`` sees them: the typed facade over ``runtime.network``.

    nets = Networks()                                   # this state root, configured pools
    nets.ensure(NetworkSpec("proj_default", labels=...))  # compose up: create if missing
    containers.start(cid, network_setup=nets.hook(ContainerNetworkRequest(cid, "proj-web-1", ...)))
    nets.published(cid)                                 # ports for ps/port/inspect
    nets.teardown(cid)                                  # after the container is removed
    nets.remove("proj_default")                         # compose down

``hook`` returns the callable the containers facade runs between "namespace created"
and "process started": it wires the namespace and writes hosts/resolv.conf/hostname into
the container's own directory, which the runtime bind-mounts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from runtime.network.endpoints import ContainerNetwork, ContainerNetworkRequest, EndpointManager, EndpointRequest
from runtime.network.ipam import IpamRequest, Subnet
from runtime.network.networks import NetworkManager, NetworkSpec
from runtime.network.pools import NetworkConfig, load_config
from runtime.network.ports import PortRequest
from runtime.network.records import EndpointRecord, NetworkRecord, PortBinding
from runtime.state import StateRoot

__all__ = [
    "ContainerNetwork", "ContainerNetworkRequest", "EndpointRecord", "EndpointRequest", "IpamRequest",
    "NetworkConfig", "NetworkRecord", "NetworkSpec", "Networks", "PortBinding", "PortRequest", "Subnet",
]


class Networks:
    def __init__(self, state: StateRoot | None = None, config: NetworkConfig | None = None) -> None:
        self.state = (state or StateRoot.from_env()).ensure()
        self.manager = NetworkManager(self.state, config or load_config())
        self.endpoints = EndpointManager(self.manager)

    def preload(self) -> None:
        """Have the link helper start, if it is not running, while this command does other work:
        links are made there, where the netlink library (~0.15 s of imports) is loaded already.
        Returns at once; the first link change waits for the helper (``runtime.network.links``)."""
        self.manager.links.start()

    # networks
    def create(self, spec: NetworkSpec) -> NetworkRecord:
        """A new network; ``Conflict`` if the name is taken."""
        return self.manager.create(spec)

    def ensure(self, spec: NetworkSpec) -> NetworkRecord:
        """The network named ``spec.name``, created if missing (compose up)."""
        return self.manager.ensure(spec)

    def get(self, name_or_id: str) -> NetworkRecord:
        """``NotFound`` if missing (what ``external: true`` checks)."""
        return self.manager.get(name_or_id)

    def find(self, name_or_id: str) -> NetworkRecord | None:
        return self.manager.find(name_or_id)

    def list(self) -> list[NetworkRecord]:
        return self.manager.list()

    def remove(self, name_or_id: str) -> NetworkRecord:
        """``Conflict`` while containers are attached (endpoints whose namespace is gone do not count)."""
        self.endpoints.prune_stale()
        return self.manager.remove(name_or_id)

    def prune(self, labels: tuple[str, ...] = ()) -> list[str]:
        self.endpoints.prune_stale()
        return self.manager.prune(labels)

    def inspect(self, name_or_id: str) -> dict[str, Any]:
        """Docker's ``network inspect`` shape, with the attached containers."""
        rec = self.get(name_or_id)
        out = rec.to_json()
        out["Containers"] = {
            ep.container_id: {
                "Name": ep.name, "MacAddress": att.mac,
                "IPv4Address": _with_prefix(att.ipv4, rec, 4), "IPv6Address": _with_prefix(att.ipv6, rec, 6),
            }
            for ep in self.endpoints.store.endpoints() if (att := ep.on(rec.id)) is not None
        }
        return out

    # containers
    def setup(self, request: ContainerNetworkRequest) -> ContainerNetwork:
        return self.endpoints.setup(request)

    def hook(self, request: ContainerNetworkRequest, *, files_dir: Path | None = None) -> Callable[[Path], None]:
        """The ``network_setup`` callable of ``Containers.start``: wires the namespace at the path it is given."""

        def setup(path: Path) -> None:
            from dataclasses import replace

            self.endpoints.setup(replace(request, netns=str(path),
                                         files_dir=str(files_dir) if files_dir else request.files_dir))

        return setup

    def teardown(self, container_id: str) -> None:
        self.endpoints.teardown(container_id)

    def teardown_many(self, container_ids: Sequence[str]) -> None:
        """The endpoints of several removed containers at once (one netlink socket, one resolver reload)."""
        self.endpoints.teardown_many(container_ids)

    def endpoint(self, container_id: str) -> EndpointRecord | None:
        return self.endpoints.store.endpoint(container_id)

    def published(self, container_id: str) -> tuple[PortBinding, ...]:
        rec = self.endpoint(container_id)
        return rec.ports if rec else ()


def _with_prefix(address: str | None, rec: NetworkRecord, version: int) -> str:
    subnet = rec.subnet(version)
    if not address or subnet is None:
        return ""
    return f"{address}/{subnet.subnet.prefixlen}"
