"""Fixtures of the network tests: a private state root, the test suite's own address pool,
and the leak check that every test touching the host runs under.

The test suite's pool is 172.30.0.0/16 cut into /24s (``PYCOMPOSE_ADDRESS_POOLS``), away
from the product's default pools and from anything on the test machines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TEST_POOLS = "base=172.30.0.0/16,size=24 base=fd30:7c1d:5e00::/48,size=64"


def _root() -> bool:
    return os.geteuid() == 0


needs_root = pytest.mark.skipif(not _root(), reason="needs root (network namespaces, netlink)")
needs_iptables = pytest.mark.skipif(shutil.which("iptables-restore") is None, reason="needs iptables")


def our_links() -> list[str]:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        names = [link.get_attr("IFLA_IFNAME") for link in ipr.get_links()]
    return sorted(n for n in names if n.startswith(("pcb-", "pcv-")))


def our_rules() -> list[str]:
    out = []
    for save in ("iptables-save", "ip6tables-save"):
        if shutil.which(save) is None:
            continue
        for table in ("nat", "filter"):
            text = subprocess.run([save, "-t", table], capture_output=True, text=True, check=False).stdout
            out += [f"{save}: {line}" for line in text.splitlines() if "PYCOMPOSE" in line or "pycompose:" in line]
    return out


def our_mounts(run: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(run))]


class Tracker:
    """What this test made on the host (bridges, veths, rule tags), so that the leak check
    looks at exactly that and not at what other suites running at the same time make. The
    names are collected from the records as they are saved (in this process), plus the
    state files left at the end (written by subprocesses such as the CLI)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from runtime.network.records import NetworkStore

        self.links: set[str] = set()
        self.tags: set[str] = set()
        save_network, save_endpoint = NetworkStore.save_network, NetworkStore.save_endpoint

        def network(store, rec):  # type: ignore[no-untyped-def]
            self.note_network(rec)
            save_network(store, rec)

        def endpoint(store, rec):  # type: ignore[no-untyped-def]
            self.note_endpoint(rec)
            save_endpoint(store, rec)

        monkeypatch.setattr(NetworkStore, "save_network", network)
        monkeypatch.setattr(NetworkStore, "save_endpoint", endpoint)

    def note_network(self, rec) -> None:  # type: ignore[no-untyped-def]
        from runtime.network.firewall import net_tag

        self.links.add(rec.bridge)
        self.tags.add(net_tag(rec.id))

    def note_endpoint(self, rec) -> None:  # type: ignore[no-untyped-def]
        from runtime.network.firewall import ctr_tag

        self.links.update(a.veth for a in rec.attachments)
        self.tags.add(ctr_tag(rec.container_id))

    def leaks(self, root: Path, run: Path) -> dict[str, list[str]]:
        from runtime.network.records import NetworkStore
        from runtime.state import StateRoot

        store = NetworkStore(StateRoot(root, run))
        for rec in store.networks():
            self.note_network(rec)
        for ep in store.endpoints():
            self.note_endpoint(ep)
        return {
            "links": sorted(self.links & set(our_links())),
            "rules": sorted(line for line in our_rules() if any(t in line for t in self.tags)),
            "mounts": our_mounts(run),
            "resolver": [str(p) for p in (run / "network" / "dns.pid",) if p.exists()],
            "records": [r.name for r in store.networks()] + [e.name for e in store.endpoints()],
        }


def forward_ok(before: str) -> bool:
    """ip_forward is back as it was -- unless another suite's bridges still need it on."""
    return Path("/proc/sys/net/ipv4/ip_forward").read_text() == before or bool(our_links())


@pytest.fixture
def net_env(tmp_path, monkeypatch):
    """A private state root and the test pool; checks afterwards that nothing leaked."""
    if not _root():
        pytest.skip("needs root (network namespaces, netlink)")
    root, run = tmp_path / "root", tmp_path / "run"
    monkeypatch.setenv("PYCOMPOSE_ROOT", str(root))
    monkeypatch.setenv("PYCOMPOSE_RUN", str(run))
    monkeypatch.setenv("PYCOMPOSE_ADDRESS_POOLS", TEST_POOLS)
    monkeypatch.setenv("PYCOMPOSE_NETWORK_CONFIG", str(tmp_path / "absent.json"))
    before_forward = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    tracker = Tracker(monkeypatch)
    yield root, run
    from runtime.state import StateRoot
    from tests.container.conftest import stop_server

    leaks = tracker.leaks(root, run)
    _force_cleanup(root, run)
    stop_server(StateRoot(root, run))  # the idle helpers (they would exit by themselves later)
    assert not any(leaks.values()), f"leaked: {leaks}"
    assert forward_ok(before_forward), "ip_forward not restored"


def _force_cleanup(root: Path, run: Path) -> None:
    """Undo whatever a failed test left, so one failure does not poison the host."""
    from runtime.network.endpoints import EndpointManager
    from runtime.network.networks import NetworkManager
    from runtime.state import StateRoot

    nets = NetworkManager(StateRoot(root, run))
    eps = EndpointManager(nets)
    for ep in nets.store.endpoints():
        eps.teardown(ep.container_id)
    for rec in nets.list():
        nets.remove(rec.id)
    for mount in our_mounts(run):
        subprocess.run(["umount", "-l", mount], check=False)
