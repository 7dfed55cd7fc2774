"""Where automatically chosen subnets come from: the default address pools.

Docker's ``default-address-pools`` idea. A pool is a base network cut into subnets of
one prefix length; subnets are handed out in order, pool after pool.

The default (Docker's): 172.17.0.0/16 ... 172.31.0.0/16 as /16s, then 192.168.0.0/16 as
/20s; for IPv6, one ULA /48 cut into /64s. It is changed by

* the config file ``/etc/pycompose/network.json`` (path overridable with
  ``PYCOMPOSE_NETWORK_CONFIG``), with Docker's keys::

      {"default-address-pools": [{"base": "10.123.0.0/16", "size": 24}],
       "dns": ["192.0.2.53"]}

* the environment variable ``PYCOMPOSE_ADDRESS_POOLS``, which wins over the file:
  pools separated by spaces, each in dockerd's flag form ``base=172.30.0.0/16,size=24``.

``dns`` (or ``PYCOMPOSE_DNS_UPSTREAM``, comma separated ``ip[:port]``) replaces the
host's ``/etc/resolv.conf`` servers as the embedded resolver's upstream.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import RuntimeFailure

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CONFIG_FILE = Path("/etc/pycompose/network.json")
ENV_CONFIG = "PYCOMPOSE_NETWORK_CONFIG"
ENV_POOLS = "PYCOMPOSE_ADDRESS_POOLS"
ENV_UPSTREAM = "PYCOMPOSE_DNS_UPSTREAM"


@dataclass(frozen=True)
class AddressPool:
    """``base`` cut into subnets of prefix length ``size``."""

    base: IPNetwork
    size: int

    def __post_init__(self) -> None:
        if not self.base.prefixlen <= self.size <= self.base.max_prefixlen:
            raise RuntimeFailure(
                f"address pool {self.base}: size {self.size} must be between "
                f"{self.base.prefixlen} and {self.base.max_prefixlen}")

    def subnets(self) -> Iterator[IPNetwork]:
        return self.base.subnets(new_prefix=self.size)

    def render(self) -> str:
        return f"base={self.base},size={self.size}"


DEFAULT_POOLS_V4: tuple[AddressPool, ...] = (
    *(AddressPool(ipaddress.ip_network(f"172.{n}.0.0/16"), 16) for n in range(17, 32)),
    AddressPool(ipaddress.ip_network("192.168.0.0/16"), 20),
)
DEFAULT_POOLS_V6: tuple[AddressPool, ...] = (
    AddressPool(ipaddress.ip_network("fd9c:6f1e:d3a2::/48"), 64),
)


@dataclass(frozen=True)
class NetworkConfig:
    """The host-wide network settings: address pools and the resolver's upstream."""

    pools: tuple[AddressPool, ...] = DEFAULT_POOLS_V4 + DEFAULT_POOLS_V6
    upstream: tuple[str, ...] | None = None  # None: the host's /etc/resolv.conf servers

    def pools_for(self, version: int) -> tuple[AddressPool, ...]:
        return tuple(p for p in self.pools if p.base.version == version)


def parse_pool(text: str) -> AddressPool:
    """``base=172.30.0.0/16,size=24`` (dockerd's flag form)."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("base", "size"):
            raise RuntimeFailure(f"address pool {text!r}: expected base=CIDR,size=N")
        fields[key.strip()] = value.strip()
    if "base" not in fields:
        raise RuntimeFailure(f"address pool {text!r}: missing base=CIDR")
    return _pool(fields["base"], fields.get("size"), text)


def _pool(base: object, size: object, where: str) -> AddressPool:
    try:
        net = ipaddress.ip_network(str(base), strict=True)
    except ValueError as exc:
        raise RuntimeFailure(f"address pool {where}: {exc}") from None
    if size is None or size == "":
        return AddressPool(net, net.prefixlen)
    try:
        return AddressPool(net, int(str(size)))
    except ValueError:
        raise RuntimeFailure(f"address pool {where}: size {size!r} is not a number") from None


def parse_upstream(item: str) -> str:
    """``ip`` or ``ip:port`` or ``[v6]:port``, checked, returned as given."""
    host, port = split_hostport(item)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise RuntimeFailure(f"DNS upstream {item!r} is not an IP address") from None
    if not 0 < port < 65536:
        raise RuntimeFailure(f"DNS upstream {item!r}: bad port")
    return item


def split_hostport(item: str, default_port: int = 53) -> tuple[str, int]:
    item = item.strip()
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if item.count(":") == 1:
        host, port = item.split(":")
        return host, int(port)
    return item, default_port


def load_config(environ: Mapping[str, str] | None = None) -> NetworkConfig:
    """The file (if any), then the environment overrides."""
    env = os.environ if environ is None else environ
    path = Path(env.get(ENV_CONFIG) or CONFIG_FILE)
    config = NetworkConfig()
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise RuntimeFailure(f"{path}: cannot read network config ({exc})") from None
        if not isinstance(data, dict):
            raise RuntimeFailure(f"{path}: expected a JSON object")
        pools = data.get("default-address-pools")
        if pools is not None:
            if not isinstance(pools, list) or not pools:
                raise RuntimeFailure(f"{path}: default-address-pools must be a non-empty list")
            config = NetworkConfig(
                tuple(_pool(p.get("base"), p.get("size"), f"{path}") for p in pools), config.upstream)
        dns = data.get("dns")
        if dns is not None:
            config = NetworkConfig(config.pools, tuple(parse_upstream(str(d)) for d in dns))
    if env.get(ENV_POOLS):
        pools = tuple(parse_pool(item) for item in env[ENV_POOLS].split())
        config = NetworkConfig(pools, config.upstream)
    if env.get(ENV_UPSTREAM):
        upstream = tuple(parse_upstream(i) for i in env[ENV_UPSTREAM].split(",") if i.strip())
        config = NetworkConfig(config.pools, upstream)
    return config


def resolv_conf_servers(text: str) -> tuple[str, ...]:
    """The ``nameserver`` addresses of a resolv.conf text."""
    servers = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            addr = words[1].partition("%")[0]
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                continue
            servers.append(addr)
    return tuple(servers)
