"""Fixtures for container tests: a cgroup parent per test, and a leak check around every test.

After each test nothing may be left: no container record, process, cgroup, network
namespace, mount or stray temp file. (Host network links are not compared: other suites
create links on the same machine at the same time; containers here create none.) The check
stops the test's supervisor server and link helper first (it would otherwise idle for a while), then looks.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from runtime.state import StateRoot

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, mounts, cgroups)")


def _nsfs_mounts(under: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if " - nsfs " in line and line.split()[4].startswith(under)]


def _pids_mentioning(text: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    out.append(int(entry))
        except OSError:
            continue
    return out


def stop_server(state: StateRoot) -> None:
    """Stop the run root's idle helpers: the supervisor server and the link helper."""
    from runtime import daemons
    from runtime.network import linkd
    from runtime.supervisor import client

    daemons.shutdown(client.server_socket(state))
    daemons.shutdown(linkd.socket_path(state))


@pytest.fixture
def cgroup_parent(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"pycompose-test-{secrets.token_hex(4)}"
    monkeypatch.setenv("PYCOMPOSE_CGROUP_PARENT", name)
    yield name
    from runtime.linux import cgroups

    cgroups.remove_parent(name)


@pytest.fixture
def containers(state_root: StateRoot, cgroup_parent: str) -> Iterator[object]:
    """The containers facade on this test's state root, with the leak check around the test."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    from runtime.api.containers import Containers
    from runtime.linux import cgroups

    api = Containers(state_root)
    yield api
    leaks: list[str] = []
    for info in api.list(all=True):
        leaks.append(f"container {info.record.name} ({info.state.status})")
        api.remove(info.record.id, force=True)
    stop_server(state_root)
    left = _pids_mentioning(os.fspath(state_root.run))
    if left:
        leaks.append(f"processes {left}")
        for pid in left:
            os.kill(pid, 9)
    groups = cgroups.leftovers(cgroup_parent)
    if groups:
        leaks.append(f"cgroups {groups}")
    pinned = _nsfs_mounts(os.fspath(state_root.run))
    if pinned:
        leaks.append(f"network namespaces {pinned}")
    netns_dir = state_root.run / "netns"
    if netns_dir.exists() and any(netns_dir.iterdir()):
        leaks.append(f"netns files {list(netns_dir.iterdir())}")
    temps = [p for p in state_root.root.rglob(".tmp-*")] if state_root.root.exists() else []
    if temps:
        leaks.append(f"temp files {temps}")
    assert not leaks, f"the test left resources behind: {leaks}"
