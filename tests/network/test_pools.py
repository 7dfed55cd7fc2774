import ipaddress
import json

import pytest

from runtime.errors import RuntimeFailure
from runtime.network import pools
from runtime.network.pools import AddressPool, load_config, parse_pool, resolv_conf_servers


def test_default_pools_are_dockers():
    v4 = pools.DEFAULT_POOLS_V4
    assert [str(p.base) for p in v4[:2]] == ["172.17.0.0/16", "172.18.0.0/16"]
    assert str(v4[14].base) == "172.31.0.0/16"
    assert (str(v4[-1].base), v4[-1].size) == ("192.168.0.0/16", 20)
    assert all(p.size == 16 for p in v4[:-1])


def test_parse_pool_flag_form():
    pool = parse_pool("base=172.30.0.0/16,size=24")
    assert pool == AddressPool(ipaddress.ip_network("172.30.0.0/16"), 24)
    assert next(iter(pool.subnets())) == ipaddress.ip_network("172.30.0.0/24")


@pytest.mark.parametrize("text", ["172.30.0.0/16", "base=172.30.0.1/16,size=24", "base=172.30.0.0/16,size=8",
                                  "base=172.30.0.0/16,size=x", "size=24"])
def test_parse_pool_rejects(text):
    with pytest.raises(RuntimeFailure):
        parse_pool(text)


def test_env_overrides_file(tmp_path):
    cfg = tmp_path / "network.json"
    cfg.write_text(json.dumps({"default-address-pools": [{"base": "10.123.0.0/16", "size": 24}],
                               "dns": ["127.0.0.1:5353"]}))
    from_file = load_config({"PYCOMPOSE_NETWORK_CONFIG": str(cfg)})
    assert [p.render() for p in from_file.pools] == ["base=10.123.0.0/16,size=24"]
    assert from_file.upstream == ("127.0.0.1:5353",)
    both = load_config({"PYCOMPOSE_NETWORK_CONFIG": str(cfg),
                        "PYCOMPOSE_ADDRESS_POOLS": "base=172.30.0.0/16,size=24 base=fd00:30::/48,size=64",
                        "PYCOMPOSE_DNS_UPSTREAM": "127.0.0.2"})
    assert [p.render() for p in both.pools] == ["base=172.30.0.0/16,size=24", "base=fd00:30::/48,size=64"]
    assert both.upstream == ("127.0.0.2",)
    assert [p.render() for p in both.pools_for(6)] == ["base=fd00:30::/48,size=64"]


def test_missing_file_gives_defaults(tmp_path):
    config = load_config({"PYCOMPOSE_NETWORK_CONFIG": str(tmp_path / "absent.json")})
    assert config.pools == pools.DEFAULT_POOLS_V4 + pools.DEFAULT_POOLS_V6
    assert config.upstream is None


def test_bad_file_is_an_error(tmp_path):
    cfg = tmp_path / "network.json"
    cfg.write_text("{not json")
    with pytest.raises(RuntimeFailure, match=r"network\.json"):
        load_config({"PYCOMPOSE_NETWORK_CONFIG": str(cfg)})


def test_resolv_conf_servers():
    text = "# c\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nnameserver bogus\nsearch x\n"
    assert resolv_conf_servers(text) == ("10.255.255.53", "fe80::1")


@pytest.mark.parametrize(("item", "expected"), [("1.2.3.4", ("1.2.3.4", 53)), ("1.2.3.4:5353", ("1.2.3.4", 5353)),
                                                ("[::1]:54", ("::1", 54)), ("::1", ("::1", 53))])
def test_split_hostport(item, expected):
    assert pools.split_hostport(item) == expected
