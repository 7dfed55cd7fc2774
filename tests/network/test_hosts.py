import pytest

from runtime.errors import RuntimeFailure
from runtime.network.hosts import hosts_file, resolv_conf

HOST_RESOLV = "nameserver 10.255.255.53\nnameserver 127.0.0.53\nsearch corp.example\noptions ndots:2 timeout:1\n"


def test_hosts_file_order_and_host_gateway():
    text = hosts_file("web", "", ["172.30.0.2"], [("db.local", "10.0.0.9"), ("gw", "host-gateway")], "172.30.0.1")
    lines = text.splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert lines[-3:] == ["10.0.0.9\tdb.local", "172.30.0.1\tgw", "172.30.0.2\tweb"]


def test_hosts_file_domainname():
    assert "172.30.0.2\tweb.example.test\tweb\n" in hosts_file("web", "example.test", ["172.30.0.2"], [], None)


def test_host_gateway_without_gateway_is_an_error():
    with pytest.raises(RuntimeFailure, match="host-gateway"):
        hosts_file("web", "", [], [("gw", "host-gateway")], None)


def test_resolv_conf_embedded():
    text = resolv_conf(HOST_RESOLV, embedded=True)
    assert "nameserver 127.0.0.11\n" in text and "10.255.255.53" not in text
    assert "search corp.example\n" in text
    assert "options timeout:1 ndots:0\n" in text


def test_resolv_conf_overrides():
    text = resolv_conf(HOST_RESOLV, embedded=True, dns_search=("a.test", "b.test"), dns_options=("use-vc",))
    assert "search a.test b.test\n" in text and "options ndots:0 use-vc\n" in text


def test_resolv_conf_host_mode_filters_loopback():
    text = resolv_conf(HOST_RESOLV, embedded=False)
    assert "nameserver 10.255.255.53\n" in text and "127.0.0.53" not in text
    assert "nameserver 192.0.2.53" in resolv_conf(HOST_RESOLV, embedded=False, dns=("192.0.2.53",))
