import ipaddress

import pytest

from runtime.errors import Conflict, RuntimeFailure
from runtime.network.ipam import IpamRequest, Subnet, allocate, choose_subnet, plan_subnet, plan_subnets
from runtime.network.pools import DEFAULT_POOLS_V4, DEFAULT_POOLS_V6, parse_pool

net = ipaddress.ip_network
ip = ipaddress.ip_address

# This machine's facts: resolver in 10/8, eth0 on 192.0.2.0/24, fd00::/64 on eth0.
HOST = (net("10.255.255.53/32"), net("192.0.2.0/24"), net("192.0.2.2/32"), net("fd00::/64"))


def test_first_default_subnet_is_docker0s():
    assert choose_subnet(DEFAULT_POOLS_V4, 4, [], HOST) == net("172.17.0.0/16")


def test_skips_our_networks_and_host_routes():
    host = (*HOST, net("172.18.0.0/16"), net("172.19.5.0/24"))
    ours = [net("172.17.0.0/16")]
    assert choose_subnet(DEFAULT_POOLS_V4, 4, ours, host) == net("172.20.0.0/16")


def test_never_overlaps_resolver():
    pools = (parse_pool("base=10.255.0.0/16,size=24"),)
    chosen = choose_subnet(pools, 4, [], HOST)
    assert not chosen.overlaps(net("10.255.255.53/32"))
    assert chosen == net("10.255.0.0/24")
    pools = (parse_pool("base=10.255.255.0/24,size=24"),)
    with pytest.raises(RuntimeFailure, match="non-overlapping IPv4"):
        choose_subnet(pools, 4, [], HOST)


def test_after_172_comes_192_168_in_slash_20():
    ours = [p.base for p in DEFAULT_POOLS_V4[:-1]]
    assert choose_subnet(DEFAULT_POOLS_V4, 4, ours, HOST) == net("192.168.0.0/20")
    assert choose_subnet(DEFAULT_POOLS_V4, 4, [*ours, net("192.168.0.0/20")], HOST) == net("192.168.16.0/20")


def test_ipv6_pool_avoids_host_ula():
    chosen = choose_subnet(DEFAULT_POOLS_V6, 6, [], HOST)
    assert chosen.prefixlen == 64 and not chosen.overlaps(net("fd00::/64"))


def test_test_suite_pool_in_24s():
    pool = (parse_pool("base=172.30.0.0/16,size=24"),)
    assert choose_subnet(pool, 4, [net("172.30.0.0/24")], HOST) == net("172.30.1.0/24")


def test_plan_defaults_gateway_to_first_host():
    s = plan_subnet(IpamRequest(), net("172.30.4.0/24"), "n")
    assert s.gateway == ip("172.30.4.1")
    assert s.reserved() == {ip("172.30.4.0"), ip("172.30.4.1"), ip("172.30.4.255")}


def test_plan_user_config():
    req = IpamRequest(subnet="172.28.0.0/16", gateway="172.28.5.254", ip_range="172.28.5.0/24",
                      aux_addresses=(("host1", "172.28.1.5"),))
    (s,) = plan_subnets([req], enable_ipv6=False, pools=DEFAULT_POOLS_V4, ours=[], host=HOST, network="n")
    assert s.gateway == ip("172.28.5.254") and s.ip_range == net("172.28.5.0/24")
    assert allocate(s, set()) == ip("172.28.5.1")
    assert Subnet.from_json(s.to_json()) == s


@pytest.mark.parametrize(("req", "match"), [
    (IpamRequest(subnet="172.28.0.0/16", gateway="172.29.0.1"), "gateway"),
    (IpamRequest(subnet="172.28.0.0/16", ip_range="172.29.0.0/24"), "ip_range"),
    (IpamRequest(subnet="172.28.0.0/16", aux_addresses=(("a", "10.0.0.1"),)), "aux address"),
    (IpamRequest(subnet="172.28.0.1/16"), "host bits"),
    (IpamRequest(subnet="bogus"), "invalid subnet"),
])
def test_plan_rejects(req, match):
    with pytest.raises(RuntimeFailure, match=match):
        plan_subnets([req], enable_ipv6=False, pools=DEFAULT_POOLS_V4, ours=[], host=HOST, network="n")


def test_user_subnet_overlapping_ours_is_a_conflict():
    with pytest.raises(Conflict, match="Pool overlaps"):
        plan_subnets([IpamRequest(subnet="172.17.3.0/24")], enable_ipv6=False, pools=DEFAULT_POOLS_V4,
                     ours=[net("172.17.0.0/16")], host=HOST, network="n")


def test_user_subnet_overlapping_resolver_is_refused():
    with pytest.raises(Conflict, match="resolver"):
        plan_subnets([IpamRequest(subnet="10.0.0.0/8")], enable_ipv6=False, pools=DEFAULT_POOLS_V4,
                     ours=[], host=HOST, network="n")


def test_enable_ipv6_adds_a_v6_subnet():
    subnets = plan_subnets([], enable_ipv6=True, pools=DEFAULT_POOLS_V4 + DEFAULT_POOLS_V6, ours=[],
                           host=HOST, network="n")
    assert [s.version for s in subnets] == [4, 6]
    assert subnets[1].gateway == subnets[1].subnet.network_address + 1


def test_allocate_lowest_free_and_static():
    s = plan_subnet(IpamRequest(), net("172.30.9.0/29"), "n")
    used = {ip("172.30.9.2")}
    assert allocate(s, used) == ip("172.30.9.3")
    assert allocate(s, used, "172.30.9.6") == ip("172.30.9.6")
    with pytest.raises(Conflict, match="already in use"):
        allocate(s, used, "172.30.9.2", network="n", owner="web")
    with pytest.raises(Conflict, match="reserved"):
        allocate(s, used, "172.30.9.1")
    with pytest.raises(RuntimeFailure, match="not in network"):
        allocate(s, used, "172.30.10.2")
    full = {ip(f"172.30.9.{i}") for i in range(2, 7)}
    with pytest.raises(RuntimeFailure, match="no available"):
        allocate(s, full)
