"""Bridges, veths, addresses and routes for real, with namespaces standing in for containers."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from runtime.errors import Conflict
from runtime.network import netns
from runtime.network.endpoints import ContainerNetworkRequest, EndpointManager, EndpointRequest
from runtime.network.ipam import IpamRequest
from runtime.network.networks import NetworkManager, NetworkSpec
from runtime.state import StateRoot
from tests.network.nsutil import Server, exchange

pytestmark = pytest.mark.integration


@pytest.fixture
def managers(net_env):
    nets = NetworkManager(StateRoot.from_env())
    return nets, EndpointManager(nets)


def _links_in(path: str) -> dict[str, dict]:
    with IPRoute(use_socket=netns.netlink_socket(path)) as ipr:
        out = {}
        for link in ipr.get_links():
            name = link.get_attr("IFLA_IFNAME")
            addrs = [f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}" for a in ipr.get_addr(index=link["index"])]
            out[name] = {"addrs": addrs, "mac": link.get_attr("IFLA_ADDRESS"), "mtu": link.get_attr("IFLA_MTU"),
                         "up": bool(link["flags"] & 1)}
        routes = [(r.get_attr("RTA_DST"), r.get_attr("RTA_GATEWAY")) for r in ipr.get_routes(family=2)]
        out["_routes"] = routes
        return out


def test_network_and_two_containers(managers):
    nets, eps = managers
    a = nets.create(NetworkSpec("proj_front", labels=(("com.docker.compose.project", "proj"),)))
    assert a.bridge.startswith("pcb-") and len(a.bridge) <= 15
    assert ipaddress.ip_network("172.30.0.0/16").supernet_of(a.subnets[0].subnet)
    one = eps.setup(ContainerNetworkRequest("c" * 64, "proj-web-1", networks=(EndpointRequest("proj_front"),),
                                            hostname="web"))
    two = eps.setup(ContainerNetworkRequest("d" * 64, "proj-db-1", networks=(EndpointRequest("proj_front"),),
                                            hostname="db"))
    ip1, ip2 = one.record.attachments[0].ipv4, two.record.attachments[0].ipv4
    assert (ip1, ip2) == (str(a.subnets[0].gateway + 1), str(a.subnets[0].gateway + 2))
    inside = _links_in(one.netns)
    assert inside["lo"]["up"] and inside["eth0"]["up"]
    assert inside["eth0"]["addrs"] == [f"{ip1}/24"]
    assert inside["eth0"]["mac"] == "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip1).packed)
    assert (None, str(a.subnets[0].gateway)) in inside["_routes"]
    server = Server(two.netns, "0.0.0.0", 7000)
    try:
        assert exchange(one.netns, ip2, 7000, b"hello") == b"echo:hello"
    finally:
        server.close()
    hosts = Path(one.hosts).read_text()
    assert f"{ip1}\tweb\n" in hosts and "127.0.0.1\tlocalhost" in hosts
    assert "nameserver 127.0.0.11" in Path(one.resolv_conf).read_text()
    with pytest.raises(Conflict, match="active endpoints"):
        nets.remove("proj_front")
    eps.teardown("c" * 64)
    eps.teardown("d" * 64)
    eps.teardown("d" * 64)  # idempotent
    nets.remove("proj_front")


def test_several_networks_static_addresses_mtu_sysctls(managers):
    nets, eps = managers
    nets.create(NetworkSpec("p_a", ipam=(IpamRequest(subnet="172.30.200.0/24"),),
                            driver_opts=(("com.docker.network.driver.mtu", "1400"),)))
    nets.create(NetworkSpec("p_b", internal=True))
    req = ContainerNetworkRequest(
        "e" * 64, "p-x-1", hostname="x", domainname="example.test",
        networks=(EndpointRequest("p_b", aliases=("bee",)),
                  EndpointRequest("p_a", ipv4_address="172.30.200.50", mac_address="02:00:00:00:00:aa")),
        sysctls=(("net.ipv4.ip_unprivileged_port_start", "1024"),),
        extra_hosts=(("host.docker.internal", "host-gateway"), ("other", "10.1.2.3")))
    res = eps.setup(req)
    inside = _links_in(res.netns)
    assert inside["eth1"]["addrs"] == ["172.30.200.50/24"] and inside["eth1"]["mac"] == "02:00:00:00:00:aa"
    assert inside["eth1"]["mtu"] == 1400
    # internal p_b is eth0 but gives no default route: the default goes via p_a's gateway.
    defaults = [gw for dst, gw in inside["_routes"] if dst is None]
    assert defaults == ["172.30.200.1"]
    assert netns.inside(res.netns, lambda: netns.read_sysctl("net.ipv4.ip_unprivileged_port_start")) == "1024"
    hosts = Path(res.hosts).read_text()
    assert "10.1.2.3\tother" in hosts
    b_gateway = res.record.attachments[0].ipv4.rsplit(".", 1)[0] + ".1"
    assert f"{b_gateway}\thost.docker.internal" in hosts
    assert "x.example.test\tx" in hosts
    with pytest.raises(Conflict, match=r"172\.30\.200\.50"):
        eps.setup(ContainerNetworkRequest("f" * 64, "p-y-1",
                                          networks=(EndpointRequest("p_a", ipv4_address="172.30.200.50"),)))
    assert eps.store.endpoint("f" * 64) is None
    eps.teardown("e" * 64)
    nets.remove("p_a")
    nets.remove("p_b")


def test_network_modes(managers):
    nets, eps = managers
    nets.create(NetworkSpec("m_a"))
    base = eps.setup(ContainerNetworkRequest("a" * 64, "m-base-1", networks=(EndpointRequest("m_a"),)))
    joined = eps.setup(ContainerNetworkRequest("b" * 64, "m-side-1", mode="container:" + "a" * 64))
    assert joined.netns == base.netns and joined.hosts == base.hosts
    none = eps.setup(ContainerNetworkRequest("c" * 64, "m-none-1", mode="none"))
    assert set(_links_in(none.netns)) == {"lo", "_routes"}
    host = eps.setup(ContainerNetworkRequest("d" * 64, "m-host-1", mode="host"))
    assert host.netns is None
    for cid in "dcba":
        eps.teardown(cid * 64)
    nets.remove("m_a")


def test_ipv6_network(managers):
    nets, eps = managers
    rec = nets.create(NetworkSpec("v6", enable_ipv6=True))
    assert [s.version for s in rec.subnets] == [4, 6]
    res = eps.setup(ContainerNetworkRequest("a" * 64, "v6-1", networks=(EndpointRequest("v6"),)))
    att = res.record.attachments[0]
    assert att.ipv6 and ipaddress.ip_address(att.ipv6) in rec.subnets[1].subnet
    with IPRoute(use_socket=netns.netlink_socket(res.netns)) as ipr:
        routes = [r.get_attr("RTA_GATEWAY") for r in ipr.get_routes(family=10) if r["dst_len"] == 0
                  and r.get_attr("RTA_GATEWAY")]
    assert routes == [str(rec.subnets[1].gateway)]
    hosts = Path(res.hosts).read_text()
    assert f"{att.ipv4}\tv6-1" not in hosts  # no hostname given: no own line
    eps.teardown("a" * 64)
    named = eps.setup(ContainerNetworkRequest("b" * 64, "v6-2", hostname="six", networks=(EndpointRequest("v6"),)))
    hosts = Path(named.hosts).read_text()
    b = named.record.attachments[0]
    assert f"{b.ipv4}\tsix\n" in hosts and f"{b.ipv6}\tsix\n" in hosts
    eps.teardown("b" * 64)
    nets.remove("v6")


def test_setup_again_keeps_addresses_and_repairs(managers):
    """A restarted container is set up again: same addresses; a lost veth is re-made."""
    nets, eps = managers
    nets.create(NetworkSpec("again"))
    path = netns.create(eps.store.run / "runtime-ns" / "x")
    req = ContainerNetworkRequest("a" * 64, "again-1", netns=str(path), networks=(EndpointRequest("again"),))
    first = eps.setup(req)
    assert eps.setup(req).record == first.record
    with IPRoute() as ipr:  # as after a crash that lost the interface
        ipr.link("del", ifname=first.record.attachments[0].veth)
    again = eps.setup(req)
    assert again.record == first.record
    assert _links_in(str(path))["eth0"]["addrs"] == [f"{first.record.attachments[0].ipv4}/24"]
    eps.teardown("a" * 64)
    netns.remove(path)
    nets.remove("again")


def test_concurrent_setups_and_teardowns(managers):
    """compose up starts containers in parallel: distinct addresses, one resolver, no leak."""
    import threading

    nets, eps = managers
    rec = nets.create(NetworkSpec("busy"))
    ids = [f"{i:02d}" * 32 for i in range(8)]
    errors: list[BaseException] = []

    def run(fn, *args) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            errors.append(exc)

    def start(cid: str) -> None:
        eps.setup(ContainerNetworkRequest(cid, f"busy-{cid[:2]}", service="busy",
                                          networks=(EndpointRequest("busy"),)))

    threads = [threading.Thread(target=run, args=(start, cid)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    addresses = [eps.get(cid).attachments[0].ipv4 for cid in ids]
    assert len(set(addresses)) == len(ids)
    assert all(ipaddress.ip_address(a) in rec.subnets[0].subnet for a in addresses)
    threads = [threading.Thread(target=run, args=(eps.teardown, cid)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    nets.remove("busy")


def test_endpoints_of_vanished_namespaces_do_not_block_removal(net_env):
    from runtime.api.networks import Networks, PortRequest

    api = Networks(StateRoot.from_env())
    net = api.create(NetworkSpec("stale"))
    path = netns.create(api.endpoints.store.run / "runtime-ns" / "gone")
    api.setup(ContainerNetworkRequest("a" * 64, "stale-1", netns=str(path), networks=(EndpointRequest("stale"),),
                                      ports=(PortRequest(80),)))
    netns.remove(path)  # the runtime removed the container without a network teardown
    api.remove("stale")
    assert api.endpoint("a" * 64) is None and api.find(net.id) is None
