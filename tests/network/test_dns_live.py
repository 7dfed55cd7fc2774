"""The embedded resolver for real: sockets at 127.0.0.11 inside each namespace."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from dnslib import QTYPE, RR, A, DNSRecord

from runtime.network import netns
from runtime.network.endpoints import ContainerNetworkRequest, EndpointManager, EndpointRequest
from runtime.network.networks import NetworkManager, NetworkSpec
from runtime.state import StateRoot
from tests.network.nsutil import Server, exchange

pytestmark = pytest.mark.integration


class Upstream:
    """A tiny resolver on loopback standing in for the host's: answers any A query."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if data == b"stop":
                return
            q = DNSRecord.parse(data)
            self.seen.append(str(q.q.qname))
            reply = q.reply()
            reply.add_answer(RR(q.q.qname, QTYPE.A, rdata=A("203.0.113.7"), ttl=60))
            self.sock.sendto(reply.pack(), peer)

    def close(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"stop", ("127.0.0.1", self.port))
        self.thread.join()
        self.sock.close()


def resolve(path: str, name: str, qtype: str = "A", tcp: bool = False) -> DNSRecord:
    q = DNSRecord.question(name, qtype)
    return DNSRecord.parse(netns.inside(path, lambda: q.send("127.0.0.11", 53, tcp=tcp, timeout=5)))


def addrs(reply: DNSRecord) -> list[str]:
    return sorted(str(r.rdata) for r in reply.rr)


@pytest.fixture
def project(net_env, monkeypatch):
    upstream = Upstream()
    monkeypatch.setenv("PYCOMPOSE_DNS_UPSTREAM", f"127.0.0.1:{upstream.port}")
    nets = NetworkManager(StateRoot.from_env())
    eps = EndpointManager(nets)
    nets.create(NetworkSpec("p_front"))
    nets.create(NetworkSpec("p_back"))
    nets.create(NetworkSpec("p_sealed", internal=True))
    ctrs = {
        "web": ContainerNetworkRequest("1" * 64, "p-web-1", service="web", hostname="web",
                                       networks=(EndpointRequest("p_front", aliases=("www",)),),
                                       links=(("p-db-1", "database"),)),
        "db": ContainerNetworkRequest("2" * 64, "p-db-1", service="db",
                                      networks=(EndpointRequest("p_front"), EndpointRequest("p_back"))),
        "api1": ContainerNetworkRequest("3" * 64, "p-api-1", service="api", networks=(EndpointRequest("p_back"),)),
        "api2": ContainerNetworkRequest("4" * 64, "p-api-2", service="api", networks=(EndpointRequest("p_back"),)),
        "sealed": ContainerNetworkRequest("5" * 64, "p-sealed-1", service="sealed",
                                          networks=(EndpointRequest("p_sealed"),)),
    }
    out = {k: eps.setup(v) for k, v in ctrs.items()}
    yield out, upstream
    for v in ctrs.values():
        eps.teardown(v.container_id)
    for n in ("p_front", "p_back", "p_sealed"):
        nets.remove(n)
    upstream.close()


def test_resolution_and_traffic(project):
    ctrs, _ = project
    web, db = ctrs["web"], ctrs["db"]
    db_front = db.record.attachments[0].ipv4
    for name in ("db", "p-db-1", "database"):
        assert addrs(resolve(web.netns, name)) == [db_front]
    assert addrs(resolve(db.netns, "www")) == [web.record.attachments[0].ipv4]
    assert addrs(resolve(web.netns, "db", tcp=True)) == [db_front]
    tcp, udp = Server(db.netns, "0.0.0.0", 7001), Server(db.netns, "0.0.0.0", 7002, "udp")
    try:
        ip = addrs(resolve(web.netns, "db"))[0]
        assert exchange(web.netns, ip, 7001, b"over tcp") == b"echo:over tcp"
        assert exchange(web.netns, ip, 7002, b"over udp", proto="udp") == b"echo:over udp"
    finally:
        tcp.close()
        udp.close()


def test_isolation_between_networks(project):
    ctrs, upstream = project
    web, api1 = ctrs["web"], ctrs["api1"]
    # "api" is not a name web can see: the query goes upstream (our stand-in answers anything)
    assert addrs(resolve(web.netns, "api")) == ["203.0.113.7"]
    assert "api." in upstream.seen
    server = Server(api1.netns, "0.0.0.0", 7003)
    try:
        with pytest.raises(OSError):
            exchange(web.netns, api1.record.attachments[0].ipv4, 7003, timeout=1)
    finally:
        server.close()


def test_scaled_service_round_robin(project):
    ctrs, _ = project
    db = ctrs["db"]
    expected = sorted(ctrs[k].record.attachments[0].ipv4 for k in ("api1", "api2"))
    first = resolve(db.netns, "api")
    second = resolve(db.netns, "api")
    assert addrs(first) == expected
    assert [str(r.rdata) for r in first.rr] != [str(r.rdata) for r in second.rr]


def test_forwarding_and_ptr(project):
    ctrs, upstream = project
    web, db = ctrs["web"], ctrs["db"]
    assert addrs(resolve(web.netns, "example.test")) == ["203.0.113.7"]
    assert "example.test." in upstream.seen
    ip = db.record.attachments[0].ipv4
    reply = resolve(web.netns, ".".join(reversed(ip.split("."))) + ".in-addr.arpa", "PTR")
    assert str(reply.rr[0].rdata) == "p-db-1.p_front."


def test_internal_network_has_no_way_out(project):
    ctrs, upstream = project
    sealed = ctrs["sealed"]
    before = list(upstream.seen)
    assert resolve(sealed.netns, "example.test").header.rcode == 2  # SERVFAIL
    assert upstream.seen == before

    def routes() -> list:
        from pyroute2 import IPRoute

        with IPRoute() as ipr:
            return [r for r in ipr.get_routes(family=2) if r["dst_len"] == 0]

    assert netns.inside(sealed.netns, routes) == []


def test_container_dns_servers_are_its_upstream(net_env, monkeypatch):
    default, own = Upstream(), Upstream()
    monkeypatch.setenv("PYCOMPOSE_DNS_UPSTREAM", f"127.0.0.1:{default.port}")
    nets = NetworkManager(StateRoot.from_env())
    eps = EndpointManager(nets)
    nets.create(NetworkSpec("d_net"))
    try:
        mine = eps.setup(ContainerNetworkRequest("6" * 64, "d-own-1", networks=(EndpointRequest("d_net"),),
                                                 dns=(f"127.0.0.1:{own.port}",)))
        other = eps.setup(ContainerNetworkRequest("7" * 64, "d-other-1", networks=(EndpointRequest("d_net"),)))
        assert addrs(resolve(mine.netns, "mine.test")) == ["203.0.113.7"]
        assert addrs(resolve(other.netns, "theirs.test")) == ["203.0.113.7"]
        assert own.seen == ["mine.test."] and default.seen == ["theirs.test."]
        assert "nameserver 127.0.0.11" in Path(mine.resolv_conf).read_text()
    finally:
        eps.teardown("6" * 64)
        eps.teardown("7" * 64)
        nets.remove("d_net")
        default.close()
        own.close()
