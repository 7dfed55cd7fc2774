"""Real containers (the busybox test image) on our networks, through the containers facade's
network hook: names, traffic, isolation, published ports, internal networks, teardown."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from runtime.state import StateRoot
from tests.container.conftest import stop_server
from tests.network.conftest import TEST_POOLS, Tracker, forward_ok

pytestmark = pytest.mark.integration


class Lab:
    """Containers and networks of one test, torn down in the right order."""

    def __init__(self, state: StateRoot, image_store, image) -> None:
        from runtime.api.containers import Containers
        from runtime.api.networks import Networks

        self.state, self.images, self.image = state, image_store, image
        self.containers = Containers(state)
        self.networks = Networks(state)
        self.ids: dict[str, str] = {}

    def run(self, name: str, command: str, **net: object) -> str:
        from runtime.api.containers import ContainerSpec, ImageProcess, Overrides
        from runtime.api.networks import ContainerNetworkRequest

        cid = self.containers.new_id()
        rootfs = self.images.prepare_rootfs(self.image.id, cid)
        proc = self.containers.build_process(rootfs, ImageProcess(cmd=("sh",)),
                                             Overrides(command=("sh", "-c", command), hostname=name))
        self.containers.create(ContainerSpec(process=proc, hostname=name), rootfs=rootfs, cid=cid, name=name,
                               image_id=self.image.id, rootfs_managed=True)
        self.ids[name] = cid
        request = ContainerNetworkRequest(cid, name, hostname=name, **net)  # type: ignore[arg-type]
        self.containers.start(cid, network_setup=self.networks.hook(request,
                                                                   files_dir=self.containers.store.dir(cid)))
        return cid

    def run_joined(self, name: str, other: str, command: str) -> str:
        """A container with ``network_mode: container:<other>`` (compose's ``service:``), or
        the host's network when ``other`` is ``host``."""
        from runtime.api.containers import ContainerSpec, ImageProcess, Namespace, Overrides
        from runtime.api.networks import ContainerNetworkRequest

        cid = self.containers.new_id()
        rootfs = self.images.prepare_rootfs(self.image.id, cid)
        proc = self.containers.build_process(rootfs, ImageProcess(cmd=("sh",)),
                                             Overrides(command=("sh", "-c", command)))
        mode = "host" if other == "host" else f"container:{self.ids[other]}"
        spec = ContainerSpec(process=proc, namespaces=tuple(
            Namespace(k, mode if k == "network" else "private")
            for k in ("mount", "pid", "uts", "ipc", "network", "cgroup")))
        self.containers.create(spec, rootfs=rootfs, cid=cid, name=name, image_id=self.image.id, rootfs_managed=True)
        self.ids[name] = cid
        self.networks.setup(ContainerNetworkRequest(cid, name, mode=mode, extra_hosts=(("gw.test", "host-gateway"),),
                                                    files_dir=str(self.containers.store.dir(cid))))
        self.containers.start(cid)
        return name

    def output(self, name: str) -> str:
        self.containers.wait(name)
        return "".join(e.text for e in self.containers.logs(name))

    def ip(self, name: str, index: int = 0) -> str:
        rec = self.networks.endpoint(self.ids[name])
        assert rec is not None
        return rec.attachments[index].ipv4 or ""

    def close(self) -> None:
        for name, cid in reversed(list(self.ids.items())):
            self.containers.remove(name, force=True)
            self.networks.teardown(cid)
        for rec in self.networks.list():
            self.networks.remove(rec.id)
        stop_server(self.state)


@pytest.fixture
def lab(state_root, image_store, busybox, monkeypatch):
    yield from _lab(state_root, image_store, busybox, monkeypatch)


@pytest.fixture
def debian_lab(state_root, image_store, debian, monkeypatch):
    yield from _lab(state_root, image_store, debian, monkeypatch)


def _lab(state_root, image_store, image, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    monkeypatch.setenv("PYCOMPOSE_ADDRESS_POOLS", TEST_POOLS)
    monkeypatch.setenv("PYCOMPOSE_NETWORK_CONFIG", str(state_root.root / "absent.json"))
    # Unknown names go to a loopback port where nothing listens: never to the host's resolvers.
    monkeypatch.setenv("PYCOMPOSE_DNS_UPSTREAM", "127.0.0.1:9")
    monkeypatch.setenv("PYCOMPOSE_CGROUP_PARENT", f"pycompose-nettest-{os.getpid()}")
    before_forward = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    tracker = Tracker(monkeypatch)
    lab = Lab(state_root, image_store, image)
    try:
        yield lab
    finally:
        lab.close()
    from runtime.linux import cgroups

    cgroups.remove_parent(f"pycompose-nettest-{os.getpid()}")
    leaks = tracker.leaks(state_root.root, state_root.run)
    assert not any(leaks.values()), f"leaked: {leaks}"
    assert forward_ok(before_forward), "ip_forward not restored"


def wait_for(predicate, what: str, bound: float = 30.0):
    end = time.monotonic() + bound
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_services_resolve_and_talk(lab):
    from runtime.api.networks import EndpointRequest, NetworkSpec

    lab.networks.create(NetworkSpec("t_front"))
    lab.networks.create(NetworkSpec("t_back"))
    lab.run("t-db-1", "mkdir -p /w && echo hello-db > /w/index.html && httpd -f -p 8080 -h /w",
            service="db", networks=(EndpointRequest("t_front", aliases=("database",)),))
    lab.run("t-api-1", "sleep 60", service="api", networks=(EndpointRequest("t_back"),))
    lab.run("t-web-1",
            # busybox-static's wget cannot use the libc resolver; nslookup asks 127.0.0.11 itself
            "for n in db t-db-1 database; do a=$(nslookup $n | awk '/^Address/ {x=$NF} END {print x}');"
            " echo $n=$a; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc $a 8080 || echo FAIL $n; done;"
            " nslookup api 127.0.0.11 >/dev/null 2>&1 && echo LEAK || echo ISOLATED;"
            " cat /etc/resolv.conf; cat /etc/hosts",
            service="web", networks=(EndpointRequest("t_front"),))
    out = lab.output("t-web-1")
    assert out.count("hello-db") == 3, out
    assert "ISOLATED" in out and "FAIL" not in out
    assert f"db={lab.ip('t-db-1')}" in out
    assert "nameserver 127.0.0.11" in out
    assert f"{lab.ip('t-web-1')}\tt-web-1" in out


def test_published_port_and_internal_network(lab):
    from runtime.api.networks import EndpointRequest, NetworkSpec, PortRequest

    lab.networks.create(NetworkSpec("t_pub"))
    lab.networks.create(NetworkSpec("t_sealed", internal=True))
    cid = lab.run("t-srv-1", "mkdir -p /w && echo published > /w/index.html && httpd -f -p 80 -h /w",
                  service="srv", networks=(EndpointRequest("t_pub"),), ports=(PortRequest(80),))
    (binding,) = lab.networks.published(cid)
    assert binding.host_port > 0

    def fetch() -> bytes:
        try:
            with socket.create_connection(("127.0.0.1", binding.host_port), timeout=2) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
                return data
        except OSError:
            return b""

    assert b"published" in wait_for(fetch, "the published port to answer")
    lab.run("t-sealed-1", "ip route; echo ROUTES-END", service="sealed", networks=(EndpointRequest("t_sealed"),))
    routes = lab.output("t-sealed-1")
    assert "default" not in routes and "ROUTES-END" in routes


def test_network_modes_with_real_containers(lab):
    from runtime.api.networks import EndpointRequest, NetworkSpec

    lab.networks.create(NetworkSpec("t_modes"))
    lab.run("t-base-1", "sleep 60", service="base", networks=(EndpointRequest("t_modes", aliases=("basealias",)),))
    lab.run("t-none-1", "ip -o link; cat /etc/resolv.conf", mode="none")
    out = lab.output("t-none-1")
    assert "lo:" in out and "eth0" not in out
    # service:base / container:<id>: the other container's namespace and names
    joined = lab.run_joined("t-side-1", "t-base-1",
                            "ip -o addr show eth0; nslookup basealias | awk '/^Address/ {x=$NF} END {print x}'")
    out = lab.output(joined)
    assert out.count(lab.ip("t-base-1")) >= 2, out  # its address, and basealias resolved through 127.0.0.11
    on_host = lab.run_joined("t-host-1", "host", "ip -o link; cat /etc/hosts")
    out = lab.output(on_host)
    host_links = [line.split(":")[1].strip() for line in out.splitlines() if "link/" in line]
    assert "lo" in host_links and len(host_links) > 1  # the host's interfaces, not a namespace's
    assert "127.0.0.1\tgw.test" in out


ECHO_SERVER = """
import socket, threading
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9001))
    while True:
        data, peer = s.recvfrom(100); s.sendto(b"udp-echo:" + data, peer)
threading.Thread(target=udp, daemon=True).start()
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("0.0.0.0", 9000)); t.listen()
while True:
    c, _ = t.accept(); c.sendall(b"tcp-echo:" + c.recv(100)); c.close()
"""

CLIENT = """
import socket, time
def resolve(name):
    return sorted({a[4][0] for a in socket.getaddrinfo(name, None, socket.AF_INET)})
for name in ("db", "n-db-1", "store", "api"):
    print(name, "=", ",".join(resolve(name)))
for attempt in range(100):
    try:
        c = socket.create_connection(("store", 9000), timeout=5); break
    except OSError:
        time.sleep(0.1)
c.sendall(b"hello"); print(c.recv(100).decode())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(b"hello", ("db", 9001)); print(u.recvfrom(100)[0].decode())
"""


def test_debian_services_resolve_with_libc_and_exchange_tcp_udp(debian_lab):
    """glibc's resolver (resolv.conf -> 127.0.0.11): service, container name, alias, replicas."""
    from runtime.api.networks import EndpointRequest, NetworkSpec

    lab = debian_lab
    lab.networks.create(NetworkSpec("n_default"))
    net = (EndpointRequest("n_default", aliases=("store",)),)
    lab.run("n-db-1", f"exec python3 -c '{ECHO_SERVER}'", service="db", networks=net)
    for i in (1, 2):
        lab.run(f"n-api-{i}", "sleep 60", service="api", networks=(EndpointRequest("n_default"),))
    lab.run("n-web-1", f"exec python3 -c '{CLIENT}'", service="web", networks=(EndpointRequest("n_default"),))
    out = lab.output("n-web-1")
    db = lab.ip("n-db-1")
    assert f"db = {db}" in out and f"n-db-1 = {db}" in out and f"store = {db}" in out, out
    assert f"api = {','.join(sorted([lab.ip('n-api-1'), lab.ip('n-api-2')]))}" in out, out
    assert "tcp-echo:hello" in out and "udp-echo:hello" in out, out
