"""Published ports for real: loopback, the host's own address, random ports, UDP, hairpin."""

from __future__ import annotations

import socket

import pytest

from runtime.errors import Conflict
from runtime.network.endpoints import ContainerNetworkRequest, EndpointManager, EndpointRequest
from runtime.network.firewall import ctr_tag
from runtime.network.networks import NetworkManager, NetworkSpec
from runtime.network.ports import PortRequest
from runtime.network.records import veth_name
from runtime.state import StateRoot
from tests.network.conftest import our_links, our_rules
from tests.network.nsutil import Server, exchange

pytestmark = [pytest.mark.integration, pytest.mark.skipif(
    __import__("shutil").which("iptables-restore") is None, reason="needs iptables")]


def host_address() -> str:
    """A non-loopback address of this host (traffic to it stays on the host)."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for addr in ipr.get_addr(family=2):
            ip = addr.get_attr("IFA_ADDRESS")
            label = addr.get_attr("IFA_LABEL") or ""
            if not ip.startswith("127.") and not label.startswith(("pcb-", "pcv-")):
                return ip
    pytest.skip("no non-loopback IPv4 address on this host")


def free_port(proto: str = "tcp") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


@pytest.fixture
def managers(net_env):
    nets = NetworkManager(StateRoot.from_env())
    return nets, EndpointManager(nets)


def test_published_ports(managers):
    nets, eps = managers
    nets.create(NetworkSpec("pp_default"))
    nets.create(NetworkSpec("pp_other"))
    fixed, ufixed = free_port(), free_port("udp")
    web = eps.setup(ContainerNetworkRequest(
        "a" * 64, "pp-web-1", service="web", networks=(EndpointRequest("pp_default"),),
        ports=(PortRequest(80, str(fixed)), PortRequest(81), PortRequest(53, str(ufixed), protocol="udp"))))
    client = eps.setup(ContainerNetworkRequest("b" * 64, "pp-client-1", networks=(EndpointRequest("pp_default"),)))
    stranger = eps.setup(ContainerNetworkRequest("c" * 64, "pp-stranger-1", networks=(EndpointRequest("pp_other"),)))
    ports = {(p.container_port, p.protocol): p.host_port for p in eps.published("a" * 64)}
    assert ports[(80, "tcp")] == fixed and ports[(53, "udp")] == ufixed
    random_port = ports[(81, "tcp")]
    assert random_port > 0 and random_port != fixed
    servers = [Server(web.netns, "0.0.0.0", 80), Server(web.netns, "0.0.0.0", 81),
               Server(web.netns, "0.0.0.0", 53, "udp")]
    me = host_address()
    try:
        assert exchange(None, "127.0.0.1", fixed, b"lo") == b"echo:lo"
        assert exchange(None, me, fixed, b"own") == b"echo:own"
        assert exchange(None, "127.0.0.1", random_port, b"rnd") == b"echo:rnd"
        assert exchange(None, "127.0.0.1", ufixed, b"dgram", proto="udp") == b"echo:dgram"
        # hairpin: from a container through the host's address, same network and another network
        assert exchange(client.netns, me, fixed, b"hair") == b"echo:hair"
        assert exchange(stranger.netns, me, fixed, b"far") == b"echo:far"
        assert exchange(web.netns, me, fixed, b"self") == b"echo:self"
    finally:
        for s in servers:
            s.close()
    for cid in "abc":
        eps.teardown(cid * 64)
    nets.remove("pp_default")
    nets.remove("pp_other")


def test_port_in_use_is_a_clear_error_and_leaves_nothing(managers):
    nets, eps = managers
    net = nets.create(NetworkSpec("pc_default"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(Conflict, match=rf"service web: .*{port}.*already allocated"):
            eps.setup(ContainerNetworkRequest("d" * 64, "pc-web-1", service="web",
                                              networks=(EndpointRequest("pc_default"),),
                                              ports=(PortRequest(80, str(port)),)))
    assert eps.store.endpoint("d" * 64) is None
    assert veth_name("d" * 64, net.id) not in our_links()
    assert not [line for line in our_rules() if ctr_tag("d" * 64) in line]
    assert not eps.store.netns_path("d" * 64).exists()
    # a port another container of ours publishes is taken too
    port = free_port()
    eps.setup(ContainerNetworkRequest("e" * 64, "pc-a-1", service="a", networks=(EndpointRequest("pc_default"),),
                                      ports=(PortRequest(80, str(port)),)))
    with pytest.raises(Conflict, match=rf"service b: .*{port}"):
        eps.setup(ContainerNetworkRequest("f" * 64, "pc-b-1", service="b", networks=(EndpointRequest("pc_default"),),
                                          ports=(PortRequest(80, str(port)),)))
    eps.teardown("e" * 64)
    nets.remove("pc_default")


def host_address6() -> str:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in ipr.get_links()}
        for addr in ipr.get_addr(family=socket.AF_INET6):
            ip = addr.get_attr("IFA_ADDRESS")
            if ip != "::1" and not ip.startswith("fe80") and not names.get(addr["index"], "").startswith("pc"):
                return ip
    pytest.skip("no global IPv6 address on this host")


@pytest.mark.skipif(__import__("shutil").which("ip6tables-restore") is None, reason="needs ip6tables")
def test_published_port_over_ipv6(managers):
    nets, eps = managers
    nets.create(NetworkSpec("pp_v6", enable_ipv6=True))
    me6 = host_address6()
    web = eps.setup(ContainerNetworkRequest("a" * 64, "pp6-web-1", service="web", networks=(EndpointRequest("pp_v6"),),
                                            ports=(PortRequest(80), PortRequest(81, host_ip="0.0.0.0"))))
    both, v4_only = (p.host_port for p in web.record.ports)
    server, server81 = Server(web.netns, "::", 80), Server(web.netns, "::", 81)
    try:
        assert exchange(None, me6, both, b"six") == b"echo:six"
        assert exchange(None, "127.0.0.1", both, b"four") == b"echo:four"
        with pytest.raises(OSError):  # published on 0.0.0.0 only: nothing on IPv6
            exchange(None, me6, v4_only, timeout=1)
    finally:
        server.close()
        server81.close()
    eps.teardown("a" * 64)
    nets.remove("pp_v6")
