"""A container's network: set up before its process starts, torn down after it is gone.

``setup`` runs in this order, so that a failure leaves nothing half-made:

1. under the network lock: resolve the networks, choose host ports (a port in use is a
   ``Conflict`` naming it and the service), allocate addresses (a static address in use is
   a ``Conflict``), and record the endpoint -- the record is what ``teardown`` undoes;
2. the namespace (a sandbox of our own unless the runtime passes one), one veth pair per
   network, addresses, routes, ``net.*`` sysctls;
3. DNAT rules of the published ports;
4. the files: hosts, resolv.conf, hostname;
5. the resolver is told (and started if needed) to serve the new namespace.

Any failure after step 1 runs ``teardown`` before re-raising. ``network_mode`` ``host``,
``none`` and ``container:<id>`` are handled here too: host has no namespace of ours,
none a sandbox with only loopback, container:<id> reuses the other container's namespace
and files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import Conflict, InvalidState, NotFound, RuntimeFailure
from runtime.network import hosts, netns, veth
from runtime.network.dns import control as dns_control
from runtime.network.firewall import Firewall, ctr_tag, port_rules
from runtime.network.host import RESOLV_CONF
from runtime.network.ipam import IPAddress, allocate
from runtime.network.links import Links
from runtime.network.networks import NetworkManager
from runtime.network.ports import PortRequest, allocate_ports
from runtime.network.records import Attachment, EndpointRecord, NetworkRecord, PortBinding, veth_name
from runtime.state import atomic_write

HOST_HOSTS = Path("/etc/hosts")


@dataclass(frozen=True)
class EndpointRequest:
    """The container on one network (compose's ``services.*.networks.<name>``)."""

    network: str
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    mac_address: str | None = None
    priority: int = 0  # higher first: eth0 is the highest; ties keep the given order


@dataclass(frozen=True)
class ContainerNetworkRequest:
    container_id: str
    name: str
    mode: str = "bridge"  # bridge, none, host, container:<id>
    networks: tuple[EndpointRequest, ...] = ()  # interfaces by priority (eth0, eth1, ...)
    hostname: str = ""
    domainname: str = ""
    project: str = ""
    service: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (container name, alias)
    extra_hosts: tuple[tuple[str, str], ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    ports: tuple[PortRequest, ...] = ()
    netns: str | None = None  # a namespace the runtime made; None: we make a sandbox
    files_dir: str | None = None  # where to write hosts, resolv.conf, hostname; None: our own directory


@dataclass(frozen=True)
class ContainerNetwork:
    """What the runtime needs: the namespace to join (None: the host's) and the files to mount."""

    netns: str | None
    hosts: str
    resolv_conf: str
    hostname: str
    record: EndpointRecord = field(compare=False)


@dataclass
class EndpointManager:
    networks: NetworkManager
    firewall: Firewall = field(default_factory=Firewall)
    firewall6: Firewall = field(default_factory=lambda: Firewall(6))
    resolv_conf_path: Path = RESOLV_CONF

    @property
    def store(self):  # -> NetworkStore
        return self.networks.store

    @property
    def links(self) -> Links:
        return self.networks.links

    def setup(self, req: ContainerNetworkRequest) -> ContainerNetwork:
        """Wire the container; again for a container already wired (a restart), its
        recorded addresses and ports are kept and only what is missing is re-made."""
        owner = req.service or req.name
        existing = self.store.endpoint(req.container_id)
        if existing is not None:
            if req.netns is None or existing.netns == str(req.netns):
                return self._resume(req, existing)
            self.teardown(req.container_id)  # a new namespace: start over
        with self.store.lock():
            if self.store.endpoint(req.container_id) is not None:
                raise Conflict(f"container {req.name} is being connected by another command")
            records, rec = self._plan(req, owner)
            self.store.save_endpoint(rec)
        try:
            self._build(req, rec, records)
        except BaseException:
            with contextlib.suppress(Exception):
                self.teardown(req.container_id)
            raise
        return self.result(rec)

    def _resume(self, req: ContainerNetworkRequest, rec: EndpointRecord) -> ContainerNetwork:
        records = [self.networks.get(a.network_id) for a in rec.attachments]
        complete = self.links.call("links_present", names=[a.veth for a in rec.attachments])
        if complete and (not rec.netns or netns.is_netns(Path(rec.netns))):
            self._write_files(req, rec, records)
            if rec.attachments:
                dns_control.reload(self.store, needed=True)
            return self.result(rec)
        try:
            self.links.call("remove_pairs", names=[a.veth for a in rec.attachments])
            if rec.ports:
                self._unpublish(rec.container_id)
            self._build(req, rec, records)
        except BaseException:
            with contextlib.suppress(Exception):
                self.teardown(req.container_id)
            raise
        return self.result(rec)

    def result(self, rec: EndpointRecord) -> ContainerNetwork:
        files = Path(rec.files)
        return ContainerNetwork(rec.netns or None, str(files / "hosts"), str(files / "resolv.conf"),
                                str(files / "hostname"), rec)

    def get(self, container_id: str) -> EndpointRecord:
        rec = self.store.endpoint(container_id)
        if rec is None:
            raise NotFound(f"container {container_id} has no network")
        return rec

    def prune_stale(self) -> list[str]:
        """Tear down endpoints whose namespace is gone (their container was removed without
        a teardown, or the host rebooted); the names of those containers."""
        stale = [e for e in self.store.endpoints()
                 if e.attachments and e.netns and not e.owns_netns and not netns.is_netns(Path(e.netns))]
        for ep in stale:
            self.teardown(ep.container_id)
        return [e.name for e in stale]

    def teardown(self, container_id: str) -> None:
        """Undo ``setup`` (idempotent): rules, veths, sandbox, files, the record last."""
        self.teardown_many([container_id])

    def teardown_many(self, container_ids: Sequence[str]) -> None:
        """``teardown`` of several endpoints at once: one netlink socket, one change of the
        records and one reload of the resolver for all of them (``down`` of many containers)."""
        recs = [rec for cid in container_ids if (rec := self.store.endpoint(cid)) is not None]
        if not recs:
            return
        for rec in recs:
            if rec.ports:
                self._unpublish(rec.container_id)
        veths = [att.veth for rec in recs for att in rec.attachments]
        if veths:
            self.links.call("remove_pairs", names=veths)
        for rec in recs:
            if rec.owns_netns and rec.netns:
                netns.remove(Path(rec.netns))
            ours = self.store.files_dir(rec.container_id)
            if rec.files and Path(rec.files) == ours:
                shutil.rmtree(ours, ignore_errors=True)
        with self.store.lock():
            for rec in recs:
                self.store.delete_endpoint(rec.container_id)
        if veths:
            dns_control.reload(self.store, needed=lambda: any(e.attachments for e in self.store.endpoints()))

    # step 1: plan (under the lock)
    def _plan(self, req: ContainerNetworkRequest, owner: str) -> tuple[list[NetworkRecord], EndpointRecord]:
        mode = req.mode or "bridge"
        if mode in ("host", "none") or mode.startswith("container:"):
            if req.networks and mode != "none":
                raise RuntimeFailure(f"service {owner}: network_mode {mode} cannot be combined with networks")
            if req.ports and mode != "host":
                # Docker ignores them with a warning; a clear error is more useful.
                raise RuntimeFailure(f"service {owner}: ports cannot be published with network_mode {mode}")
            return [], self._plan_special(req, mode)
        wanted = sorted(req.networks, key=lambda n: -n.priority)
        records = [self.networks.get(n.network) for n in wanted]
        endpoints = self.store.endpoints()
        taken = [p for e in endpoints for p in e.ports]
        ports = allocate_ports(req.ports, taken, owner=owner) if req.ports else ()
        used: dict[str, set[IPAddress]] = {}
        for e in endpoints:
            for a in e.attachments:
                used.setdefault(a.network_id, set()).update(a.addresses())
        attachments = []
        for i, (want, net) in enumerate(zip(wanted, records, strict=True)):
            if any(a.network_id == net.id for a in attachments):
                raise RuntimeFailure(f"service {owner}: network {net.name} listed twice")
            ips: dict[int, str | None] = {}
            for version, requested in ((4, want.ipv4_address), (6, want.ipv6_address)):
                subnet = net.subnet(version)
                if subnet is None:
                    if requested:
                        raise RuntimeFailure(f"service {owner}: network {net.name} has no IPv{version} subnet "
                                             f"for address {requested}")
                    ips[version] = None
                    continue
                addr = allocate(subnet, used.get(net.id, set()), requested, network=net.name, owner=f"service {owner}")
                used.setdefault(net.id, set()).add(addr)
                ips[version] = str(addr)
            attachments.append(Attachment(
                network_id=net.id, network_name=net.name, ifname=f"eth{i}",
                veth=veth_name(req.container_id, net.id),
                mac=want.mac_address or veth.mac_for(ips[4], f"{req.container_id}/{net.id}"),
                ipv4=ips[4], ipv6=ips[6], aliases=tuple(dict.fromkeys(want.aliases)),
            ))
        owns = req.netns is None
        path = str(self.store.netns_path(req.container_id)) if owns else str(req.netns)
        rec = EndpointRecord(
            container_id=req.container_id, name=req.name, netns=path, mode="bridge", owns_netns=owns,
            hostname=req.hostname, domainname=req.domainname, project=req.project, service=req.service,
            attachments=tuple(attachments), links=req.links, dns=req.dns, dns_search=req.dns_search,
            dns_options=req.dns_options, ports=ports,
            files=req.files_dir or str(self.store.files_dir(req.container_id)),
        )
        return records, rec

    def _plan_special(self, req: ContainerNetworkRequest, mode: str) -> EndpointRecord:
        common = dict(container_id=req.container_id, name=req.name, mode=mode, hostname=req.hostname,
                      domainname=req.domainname, project=req.project, service=req.service,
                      dns=req.dns, dns_search=req.dns_search, dns_options=req.dns_options)
        files = req.files_dir or str(self.store.files_dir(req.container_id))
        if mode == "host":
            return EndpointRecord(netns="", files=files, ports=(), **common)  # type: ignore[arg-type]
        if mode == "none":
            owns = req.netns is None
            path = str(self.store.netns_path(req.container_id)) if owns else str(req.netns)
            return EndpointRecord(netns=path, owns_netns=owns, files=files, **common)  # type: ignore[arg-type]
        target_id = mode.partition(":")[2]
        target = self.store.endpoint(target_id)
        if target is None:
            raise NotFound(f"network_mode {mode}: container {target_id} has no network (is it running?)")
        if target.mode == "host" or not target.netns:
            raise InvalidState(f"network_mode {mode}: that container uses the host's network")
        # The other container's names files, copied where the runtime mounts this one's (when given).
        files = req.files_dir or target.files
        return EndpointRecord(netns=target.netns, owns_netns=False, files=files, **common)  # type: ignore[arg-type]

    # steps 2-4
    def _build(self, req: ContainerNetworkRequest, rec: EndpointRecord, records: Sequence[NetworkRecord]) -> None:
        if rec.mode.startswith("container:"):
            target = self.store.endpoint(rec.mode.partition(":")[2])
            if target is not None and target.files != rec.files:
                for name in ("hosts", "resolv.conf"):
                    with contextlib.suppress(FileNotFoundError):
                        atomic_write(Path(rec.files) / name, (Path(target.files) / name).read_bytes(), sync=False)
            return
        if rec.netns and rec.owns_netns:
            netns.create(Path(rec.netns))
        if rec.attachments:
            self._wire(rec, records)
        elif rec.netns:
            self.links.call("loopback_up", path=rec.netns)
        if rec.netns:
            veth.apply_sysctls(rec.netns, req.sysctls,
                               no_ipv6=[a.ifname for a, n in zip(rec.attachments, records, strict=True)
                                        if n.subnet(6) is None])
        if rec.ports:
            self._publish(rec, records)
        self._write_files(req, rec, records)
        if rec.attachments:
            dns_control.reload(self.store, needed=True)

    def _wire(self, rec: EndpointRecord, records: Sequence[NetworkRecord]) -> None:
        pairs = [[dataclasses.asdict(att), net.to_json()] for att, net in zip(rec.attachments, records, strict=True)]
        self.links.call("wire", path=rec.netns, pairs=pairs)

    def _publish(self, rec: EndpointRecord, records: Sequence[NetworkRecord]) -> None:
        # Ports go to the address on the first network that is not internal (Docker: every
        # network's address; the first is what reachable-from-the-host needs).
        target = next((a.ipv4 for a, n in zip(rec.attachments, records, strict=True) if a.ipv4 and not n.internal),
                      None)
        if target is None:
            raise RuntimeFailure(f"service {rec.service or rec.name}: ports cannot be published on internal "
                                 f"networks only")
        address_of = {f"{p.container_port}/{p.protocol}": target for p in rec.ports}
        self.firewall.add(port_rules(rec, address_of))
        # IPv6: to the container's IPv6 address on the same network, when it has one (without
        # a userland proxy there is no IPv6-to-IPv4 path, and ::1 cannot be DNATed out of lo).
        target6 = next((a.ipv6 for a, n in zip(rec.attachments, records, strict=True)
                        if a.ipv4 == target and a.ipv6), None)
        if target6 is not None and self.firewall6.available:
            rules = port_rules(rec, {f"{p.container_port}/{p.protocol}": target6 for p in rec.ports}, 6)
            if rules:
                self.firewall6.add(rules)  # our IPv6 chains exist: the network has an IPv6 subnet

    def _unpublish(self, container_id: str) -> None:
        for fw in (self.firewall, self.firewall6):
            if fw.available:
                fw.remove_tagged(ctr_tag(container_id))

    def _write_files(self, req: ContainerNetworkRequest, rec: EndpointRecord,
                     records: Sequence[NetworkRecord]) -> None:
        files = Path(rec.files)
        host_resolv = _read(self.resolv_conf_path)
        own = [ip for a in rec.attachments[:1] for ip in (a.ipv4, a.ipv6) if ip]
        gateway = None
        for att, net in zip(rec.attachments, records, strict=True):
            sub = net.subnet(4)
            if sub is not None and att.ipv4:
                gateway = str(sub.gateway)
                break
        if rec.mode == "host":
            gateway = "127.0.0.1"
            hosts_text = _read(HOST_HOSTS) + "".join(
                f"{gateway if a == hosts.HOST_GATEWAY else a}\t{n}\n" for n, a in req.extra_hosts)
        else:
            hosts_text = hosts.hosts_file(req.hostname, req.domainname, [o for o in own if o], req.extra_hosts,
                                          gateway)
        embedded = bool(rec.attachments)
        resolv = hosts.resolv_conf(host_resolv, embedded=embedded, dns=req.dns, dns_search=req.dns_search,
                                   dns_options=req.dns_options)
        atomic_write(files / "hosts", hosts_text, sync=False)
        atomic_write(files / "resolv.conf", resolv, sync=False)
        atomic_write(files / "hostname", hosts.hostname_file(req.hostname or req.container_id[:12]), sync=False)

    def published(self, container_id: str) -> tuple[PortBinding, ...]:
        return self.get(container_id).ports


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def container_addresses(rec: EndpointRecord) -> list[str]:
    return [str(ipaddress.ip_address(a)) for att in rec.attachments for a in (att.ipv4, att.ipv6) if a]
