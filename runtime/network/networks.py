"""Network lifecycle: create (IPAM, bridge, rules), look up, list, remove.

A network is recorded first and then made real, so a crash in between leaves a record
that ``remove`` (or the next ``ensure``) completes. Host-wide pieces -- our firewall
chains and IPv4 forwarding -- exist while at least one network does: forwarding is
switched on with the first network that is not internal (Docker does so at start) and the
previous value is put back when the last network goes.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import Conflict, NotFound, RuntimeFailure
from runtime.network import host, netns
from runtime.network.firewall import Firewall, net_tag, network_rules
from runtime.network.ipam import IpamRequest, plan_subnets
from runtime.network.links import Links
from runtime.network.pools import NetworkConfig, load_config
from runtime.network.records import BRIDGE_PREFIX, IFNAMSIZ, NetworkRecord, NetworkStore, bridge_name
from runtime.state import FileLock, StateRoot, atomic_write

MTU_OPTION = "com.docker.network.driver.mtu"
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
DRIVERS = ("bridge",)
IP_FORWARD = "net.ipv4.ip_forward"
# Host-wide (not per state root): the kernel's rules and sysctls are shared by all of them.
HOST_LOCK = Path("/run/pycompose-network/host.lock")


@dataclass(frozen=True)
class NetworkSpec:
    """A network as compose (or ``pycompose network create``) asks for it."""

    name: str
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    driver_opts: tuple[tuple[str, str], ...] = ()
    ipam: tuple[IpamRequest, ...] = ()


@dataclass
class NetworkManager:
    state: StateRoot
    config: NetworkConfig = field(default_factory=load_config)
    firewall: Firewall = field(default_factory=Firewall)
    firewall6: Firewall = field(default_factory=lambda: Firewall(6))
    links: Links = field(init=False)

    def __post_init__(self) -> None:
        self.links = Links(self.state)

    @property
    def store(self) -> NetworkStore:
        return NetworkStore(self.state)

    # queries
    def list(self) -> list[NetworkRecord]:
        return sorted(self.store.networks(), key=lambda r: r.name)

    def find(self, name_or_id: str) -> NetworkRecord | None:
        records = self.store.networks()
        for rec in records:
            if rec.name == name_or_id or rec.id == name_or_id:
                return rec
        matches = [r for r in records if len(name_or_id) >= 3 and r.id.startswith(name_or_id)]
        return matches[0] if len(matches) == 1 else None

    def get(self, name_or_id: str) -> NetworkRecord:
        rec = self.find(name_or_id)
        if rec is None:
            raise NotFound(f"network {name_or_id} not found")
        return rec

    # changes
    def create(self, spec: NetworkSpec) -> NetworkRecord:
        with self.store.lock():
            if self.find(spec.name) is not None:
                raise Conflict(f"network with name {spec.name} already exists")
            rec = self._plan(spec)
            self.store.save_network(rec)
        try:
            self.realize(rec)
        except BaseException:
            self.remove(rec.id)
            raise
        return rec

    def ensure(self, spec: NetworkSpec) -> NetworkRecord:
        """The network named ``spec.name``, created if missing, its host side re-made if lost."""
        rec = self.find(spec.name)
        if rec is None:
            try:
                return self.create(spec)
            except Conflict:
                rec = self.get(spec.name)  # created meanwhile by a concurrent command
        self.realize(rec)
        return rec

    def realize(self, rec: NetworkRecord) -> None:
        """Bridge, rules and forwarding of ``rec`` (idempotent)."""
        self.links.call("ensure_bridge", network=rec.to_json())
        if self.firewall.available:
            with self._host_lock():
                for fw, version in ((self.firewall, 4), (self.firewall6, 6)):
                    rules = network_rules(rec, version)
                    if not fw.available or not rules:
                        continue
                    fw.ensure_base()
                    fw.remove_tagged(net_tag(rec.id))
                    fw.add(rules)
        elif not rec.internal:
            raise RuntimeFailure(f"network {rec.name}: iptables is needed for outbound traffic and published "
                                 f"ports (install the Debian package 'iptables')")
        if not rec.internal:
            self._forwarding_on()

    def remove(self, name_or_id: str) -> NetworkRecord:
        with self.store.lock():
            rec = self.get(name_or_id)
            users = [e.name for e in self.store.endpoints() if e.on(rec.id) is not None]
            if users:
                raise Conflict(f"error while removing network: network {rec.name} id {rec.id} has active "
                               f"endpoints ({', '.join(sorted(users))})")
            with self._host_lock():
                import threading

                last = all(n.id == rec.id for n in self.store.networks())
                firewalls = [fw for fw in (self.firewall, self.firewall6) if fw.available]

                def unlink() -> None:  # the kernel's part (tens of ms) while the rules go
                    self.links.call("remove_bridge", name=rec.bridge)

                failed: list[BaseException] = []
                bridge = threading.Thread(target=lambda: _catching(unlink, failed), name="remove-bridge")
                bridge.start()
                try:
                    for fw in firewalls:  # with our base chains once no network is left (unless
                        fw.remove_tagged(net_tag(rec.id), base=last)  # another state root still uses them)
                finally:
                    bridge.join()
                if failed:
                    raise failed[0]
                self.store.delete_network(rec.id)
                if last and not self.links.call("host_links", prefix=BRIDGE_PREFIX):
                    self._forwarding_restore()
        return rec

    def prune(self, labels: tuple[str, ...] = ()) -> list[str]:
        """Remove every network without endpoints (matching all ``labels`` filters)."""
        in_use = {a.network_id for e in self.store.endpoints() for a in e.attachments}
        removed = []
        for rec in self.list():
            if rec.id in in_use or not _labels_match(rec, labels):
                continue
            try:
                self.remove(rec.id)
            except (Conflict, NotFound):
                continue
            removed.append(rec.name)
        return removed

    # internals
    def _plan(self, spec: NetworkSpec) -> NetworkRecord:
        if spec.driver not in DRIVERS:
            raise RuntimeFailure(f"network {spec.name}: driver {spec.driver!r} is not supported "
                                 f"(supported: {', '.join(DRIVERS)})")
        opts = dict(spec.driver_opts)
        mtu = 1500
        if MTU_OPTION in opts:
            try:
                mtu = int(opts[MTU_OPTION])
            except ValueError:
                raise RuntimeFailure(f"network {spec.name}: invalid MTU {opts[MTU_OPTION]!r}") from None
            if not 68 <= mtu <= 65535:
                raise RuntimeFailure(f"network {spec.name}: MTU {mtu} out of range 68-65535")
        others = self.store.networks()
        bridges = {r.bridge for r in others}
        on_host = set(self.links.call("host_links", prefix=BRIDGE_PREFIX))  # other state roots' bridges too
        if BRIDGE_NAME_OPTION in opts:
            bridge = opts[BRIDGE_NAME_OPTION]
            if not 0 < len(bridge) <= IFNAMSIZ or bridge in bridges | on_host:
                raise RuntimeFailure(f"network {spec.name}: invalid or taken bridge name {bridge!r}")
        else:
            bridge = bridge_name(spec.name, bridges | on_host)
        ours = [s.subnet for r in others for s in r.subnets]
        subnets = plan_subnets(spec.ipam, enable_ipv6=spec.enable_ipv6, pools=self.config.pools, ours=ours,
                               host=host.host_taken(self.links, bridges), network=spec.name)
        return NetworkRecord(
            id=secrets.token_hex(32), name=spec.name, bridge=bridge, subnets=subnets, driver=spec.driver,
            internal=spec.internal, attachable=spec.attachable,
            enable_ipv6=spec.enable_ipv6 or any(s.version == 6 for s in subnets),
            labels=tuple(sorted(spec.labels)), options=tuple(sorted(spec.driver_opts)), mtu=mtu,
            created=datetime.datetime.now(datetime.UTC).isoformat(),
        )

    def _host_lock(self) -> FileLock:
        """Host-wide pieces (our chains, forwarding) are shared by every state root."""
        HOST_LOCK.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(HOST_LOCK)

    @property
    def _forward_saved(self) -> Path:
        return HOST_LOCK.parent / "ip_forward.orig"

    def _forwarding_on(self) -> None:
        if netns.read_sysctl(IP_FORWARD) == "1":
            return
        with self._host_lock():
            if not self._forward_saved.exists():
                atomic_write(self._forward_saved, netns.read_sysctl(IP_FORWARD) + "\n")
            netns.write_sysctl(IP_FORWARD, "1")

    def _forwarding_restore(self) -> None:
        try:
            saved = self._forward_saved.read_text().strip()
        except FileNotFoundError:
            return
        netns.write_sysctl(IP_FORWARD, saved)
        self._forward_saved.unlink()


def _labels_match(rec: NetworkRecord, filters: tuple[str, ...]) -> bool:
    labels = dict(rec.labels)
    for f in filters:
        key, sep, value = f.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def _catching(fn: Callable[[], None], errors: list[BaseException]) -> None:
    try:
        fn()
    except BaseException as exc:  # handed to the thread that waits for it
        errors.append(exc)
