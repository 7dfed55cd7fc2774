"""The link helper: commands make their links through it, without loading the netlink
library themselves; a killed helper is replaced; errors cross it unchanged; it exits when
idle; ``PYCOMPOSE_LINK_HELPER=off`` keeps everything in the command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runtime.errors import RuntimeFailure
from tests.network.conftest import needs_root

pytestmark = [pytest.mark.integration, needs_root]

PROJECT = Path(__file__).resolve().parents[2]


def _state(net_env):  # type: ignore[no-untyped-def]
    from runtime.state import StateRoot

    root, run = net_env
    return StateRoot(root, run)


def _helper_pid(state) -> int | None:  # type: ignore[no-untyped-def]
    from runtime import daemons
    from runtime.network import linkd

    reply = daemons.ping(linkd.socket_path(state))
    return int(str(reply["pid"])) if reply else None


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_a_command_that_starts_the_helper_first_makes_its_bridge_without_the_netlink_library(net_env) -> None:
    script = textwrap.dedent("""
        import json, sys
        from runtime.api.networks import Networks, NetworkSpec
        nets = Networks()
        nets.preload()  # as up and down do first
        rec = nets.ensure(NetworkSpec("helper_net"))
        print(json.dumps({"bridge": rec.bridge, "loaded": sorted(m for m in sys.modules if m.startswith("pyroute2"))}))
        nets.remove(rec.id)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    result = json.loads(out.stdout)
    assert result["loaded"] == [], "the command imported the netlink library itself"
    assert result["bridge"].startswith("pcb-")
    assert not Path(f"/sys/class/net/{result['bridge']}").exists()  # removed again, through the helper
    pid = _helper_pid(_state(net_env))
    assert pid is not None and "runtime.network.linkd" in _cmdline(pid)


def test_the_bridge_is_real_and_carries_the_gateway(net_env) -> None:
    from runtime.network.networks import NetworkManager, NetworkSpec

    nets = NetworkManager(_state(net_env))
    nets.links.start()
    rec = nets.ensure(NetworkSpec("helper_gw"))
    try:
        gateway = str(rec.subnets[0].gateway)
        addrs = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", rec.bridge], capture_output=True,
                               text=True, check=True).stdout
        assert f"inet {gateway}/" in addrs
        assert _helper_pid(nets.state) is not None
    finally:
        nets.remove(rec.id)


def test_a_killed_helper_is_replaced_by_the_next_change(net_env) -> None:
    from runtime.network.networks import NetworkManager, NetworkSpec

    state = _state(net_env)
    nets = NetworkManager(state)
    nets.links.start()
    first = nets.ensure(NetworkSpec("helper_a"))
    pid = _helper_pid(state)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        later = NetworkManager(state)  # a later command: finds no helper, works without, starts one
        second = later.ensure(NetworkSpec("helper_b"))
        assert Path(f"/sys/class/net/{second.bridge}").exists()
        assert later.links.call("host_links", prefix=second.bridge) == [second.bridge]  # waits for the start
        again = _helper_pid(state)
        assert again is not None and again != pid
    finally:
        nets.remove("helper_b")
        nets.remove(first.id)


def test_an_error_crosses_the_helper_as_the_same_one_line_failure(net_env, monkeypatch) -> None:
    from runtime.network.links import Links
    from runtime.network.networks import NetworkManager, NetworkSpec

    state = _state(net_env)
    nets = NetworkManager(state)
    nets.links.start()
    rec = nets.ensure(NetworkSpec("helper_err"))
    try:
        # a veth whose peer would go into a namespace that is not one: the kernel refuses
        pairs = [[{"network_id": rec.id, "network_name": rec.name, "ifname": "eth0", "veth": "pcv-helpererr0",
                   "mac": "02:42:ac:1e:00:09", "ipv4": None}, rec.to_json()]]
        not_a_namespace = net_env[0] / "not-a-namespace"
        not_a_namespace.write_text("")
        messages = []
        assert _helper_pid(state) is not None  # the first of the two goes through it
        for setting in ("on", "off"):
            monkeypatch.setenv("PYCOMPOSE_LINK_HELPER", setting)
            with pytest.raises(RuntimeFailure) as caught:
                Links(state).call("wire", path=str(not_a_namespace), pairs=pairs)
            messages.append((str(caught.value), caught.value.errno))
        assert messages[0] == messages[1]
        assert "pcv-helpererr0" in messages[0][0] and "\n" not in messages[0][0]
        assert not Path("/sys/class/net/pcv-helpererr0").exists()
    finally:
        nets.remove(rec.id)


def test_the_helper_exits_once_idle(net_env, monkeypatch) -> None:
    from runtime.network.links import Links

    monkeypatch.setenv("PYCOMPOSE_LINK_HELPER_IDLE", "0.3")
    state = _state(net_env)
    links = Links(state)
    links.start()
    assert links.call("host_links", prefix="lo") == ["lo"]
    pid = _helper_pid(state)
    assert pid is not None
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, "the idle helper did not exit"
        time.sleep(0.05)
    assert not (state.run / "links.sock").exists()


def test_off_keeps_every_change_in_the_command(net_env, monkeypatch) -> None:
    from runtime.network.networks import NetworkManager, NetworkSpec

    monkeypatch.setenv("PYCOMPOSE_LINK_HELPER", "off")
    state = _state(net_env)
    nets = NetworkManager(state)
    rec = nets.ensure(NetworkSpec("helper_off"))
    try:
        assert Path(f"/sys/class/net/{rec.bridge}").exists()
        assert _helper_pid(state) is None
    finally:
        nets.remove(rec.id)
