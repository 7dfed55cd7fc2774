"""Pure parts: interface names, firewall rule tables, port allocation, record round trips."""

from __future__ import annotations

import errno
import ipaddress
import socket

import pytest

from runtime.errors import Conflict, RuntimeFailure
from runtime.network import firewall
from runtime.network.ipam import IpamRequest, plan_subnet
from runtime.network.ports import PortRequest, allocate_ports
from runtime.network.records import (
    Attachment,
    EndpointRecord,
    NetworkRecord,
    PortBinding,
    bridge_name,
    veth_name,
)


def _net(internal: bool = False) -> NetworkRecord:
    return NetworkRecord("ab" * 32, "p_default", "pcb-0123456789a",
                         (plan_subnet(IpamRequest(), ipaddress.ip_network("172.30.5.0/24"), "p_default"),),
                         internal=internal)


def test_interface_names_fit_and_avoid_collisions():
    first = bridge_name("proj_default", set())
    assert len(first) == 15 and first.startswith("pcb-")
    assert bridge_name("proj_default", set()) == first  # stable
    second = bridge_name("proj_default", {first})
    assert second != first and len(second) == 15
    v = veth_name("c" * 64, "n" * 64)
    assert len(v) == 15 and v != veth_name("c" * 64, "m" * 64)


def test_network_rules_table():
    lines = [(r.table, r.chain, r.spec) for r in firewall.network_rules(_net())]
    br = "pcb-0123456789a"
    assert ("nat", "PYCOMPOSE-POST", f"-s 172.30.5.0/24 ! -o {br} -j MASQUERADE") in lines
    assert ("nat", "PYCOMPOSE-POST", f"-o {br} -m addrtype --src-type LOCAL -j MASQUERADE") in lines
    assert ("filter", "PYCOMPOSE-FORWARD", f"-i {br} -o pcb-+ -j DROP") in lines
    assert all(r.tag == "pycompose:net:abababababab" for r in firewall.network_rules(_net()))


def test_internal_network_has_no_masquerade_and_is_sealed():
    specs = [r.spec for r in firewall.network_rules(_net(internal=True))]
    assert not any("! -o" in s for s in specs)
    assert "-i pcb-0123456789a -j DROP" in specs and "-o pcb-0123456789a -j DROP" in specs


def test_port_rules():
    ep = EndpointRecord("c" * 64, "p-web-1", "/ns", ports=(PortBinding(80, "tcp", "", 8080),
                                                            PortBinding(53, "udp", "127.0.0.1", 5353)))
    rules = firewall.port_rules(ep, {"80/tcp": "172.30.5.2", "53/udp": "172.30.5.2"})
    assert [r.spec for r in rules] == [
        "-p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.30.5.2:80",
        "-d 127.0.0.1 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.30.5.2:53",
    ]
    assert rules[0].line() == ('-A PYCOMPOSE-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination '
                               '172.30.5.2:80 -m comment --comment "pycompose:ctr:cccccccccccc"')


def test_allocate_ports_ranges_random_and_conflicts():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(Conflict) as info:
            allocate_ports([PortRequest(80, str(port))], [], owner="web")
        assert info.value.errno == errno.EADDRINUSE
        assert f"0.0.0.0:{port}" in str(info.value) and "service web" in str(info.value)
        # a range skips the busy port
        (b,) = allocate_ports([PortRequest(80, f"{port}-{port + 20}", "127.0.0.1")], [], owner="web")
        assert port < b.host_port <= port + 20 and b.host_ip == "127.0.0.1"
    taken = [PortBinding(80, "tcp", "", 40000)]
    with pytest.raises(Conflict):
        allocate_ports([PortRequest(81, "40000", "127.0.0.1")], taken, owner="api")
    (udp,) = allocate_ports([PortRequest(81, "40000", protocol="udp")], taken, owner="api")
    assert udp.protocol == "udp"
    (rnd,) = allocate_ports([PortRequest(81)], taken, owner="api")
    assert rnd.host_port > 0
    with pytest.raises(RuntimeFailure, match="sctp"):
        allocate_ports([PortRequest(81, protocol="sctp")], [], owner="api")
    with pytest.raises(RuntimeFailure, match="invalid published port"):
        allocate_ports([PortRequest(81, "70000")], [], owner="api")


def test_records_round_trip():
    net = _net()
    assert NetworkRecord.from_json(net.to_json()) == net
    ep = EndpointRecord("c" * 64, "p-web-1", "/ns", service="web", links=(("p-db-1", "db"),), dns=("1.1.1.1",),
                        attachments=(Attachment(net.id, net.name, "eth0", "pcv-1", "02:42:ac:1e:05:02",
                                                "172.30.5.2", None, ("www",)),),
                        ports=(PortBinding(80, "tcp", "", 8080),))
    assert EndpointRecord.from_json(ep.to_json()) == ep
    assert ep.ports[0].render() == "0.0.0.0:8080->80/tcp"


def test_facade_exports_are_pinned():
    import runtime.api.networks as api

    assert sorted(api.__all__) == [
        "ContainerNetwork", "ContainerNetworkRequest", "EndpointRecord", "EndpointRequest", "IpamRequest",
        "NetworkConfig", "NetworkRecord", "NetworkSpec", "Networks", "PortBinding", "PortRequest", "Subnet",
    ]
    assert all(hasattr(api, name) for name in api.__all__)


def test_facade_import_stays_light():
    """compose imports the facade at module level: no trio, dnslib or pyroute2 on import."""
    import subprocess
    import sys

    code = ("import sys, runtime.api.networks; "
            "print(sorted(m for m in ('trio', 'dnslib', 'pyroute2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
