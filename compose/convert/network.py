"""One replica's networking as a :class:`ContainerNetworkRequest`, and the project's networks as specs.

Docker Compose's rules: a service without ``networks``/``network_mode`` is on ``default``;
each replica answers to the service name and its container name on every network it joins
(plus the network's ``aliases``); ``ports`` publish on the host.
"""

from __future__ import annotations

from collections.abc import Mapping

from compose.convert.labels import resource_labels
from compose.model import Network, Project, Service
from runtime.api.networks import (
    ContainerNetworkRequest,
    EndpointRequest,
    IpamRequest,
    NetworkSpec,
    PortRequest,
)


def network_mode(service: Service, join: Mapping[str, str]) -> str:
    """``bridge`` (our networks), ``none``, ``host`` or ``container:<id>``."""
    mode = service.network_mode
    if not mode or mode == "bridge" or mode.startswith("network:"):
        return "bridge"
    if mode in ("none", "host"):
        return mode
    if mode.startswith(("service:", "container:")):
        return "container:" + join.get(mode, mode.partition(":")[2])
    return "bridge"


def port_requests(service: Service) -> tuple[PortRequest, ...]:
    return tuple(PortRequest(p.target, str(p.published or ""), p.host_ip, p.protocol or "tcp")
                 for p in service.ports)


def network_request(project: Project, service: Service, container_id: str, name: str, *,
                    join: Mapping[str, str] | None = None) -> ContainerNetworkRequest:
    mode = network_mode(service, join or {})
    endpoints: list[EndpointRequest] = []
    if mode == "bridge":
        keys = service.network_names() or ("default",)
        for key in keys:
            net = project.networks.get(key)
            engine_name = net.name if net is not None and net.name else f"{project.name}_{key}"
            opts = service.networks.get(key)
            aliases = (service.name, name, *(opts.aliases if opts else ()))
            endpoints.append(EndpointRequest(
                engine_name, tuple(dict.fromkeys(aliases)),
                ipv4_address=(opts.ipv4_address or None) if opts else None,
                ipv6_address=(opts.ipv6_address or None) if opts else None,
                mac_address=((opts.mac_address if opts else "") or service.mac_address or None),
                priority=opts.priority if opts else 0,
            ))
    links = []
    for link in service.links:
        target, _, alias = link.partition(":")
        links.append((f"{project.name}-{target}-1", alias or target))
    return ContainerNetworkRequest(
        container_id, name, mode=mode, networks=tuple(endpoints), hostname=service.hostname,
        domainname=service.domainname, project=project.name, service=service.name, links=tuple(links),
        dns=tuple(service.dns), dns_search=tuple(service.dns_search), dns_options=tuple(service.dns_opt),
        sysctls=tuple(sorted((k, str(v)) for k, v in service.sysctls.items())),
        ports=port_requests(service) if mode == "bridge" else (),
        extra_hosts=tuple(_host(e) for e in service.extra_hosts),
    )


def _host(entry: str) -> tuple[str, str]:
    name, _, addr = entry.partition("=" if "=" in entry else ":")
    return name, addr.strip("[]")


def network_spec(project: Project, net: Network) -> NetworkSpec:
    """What ``up`` ensures for a non-external top-level network."""
    ipam = tuple(IpamRequest(subnet=p.subnet or None, gateway=p.gateway or None, ip_range=p.ip_range or None)
                 for p in net.ipam.config) if net.ipam and net.ipam.config else ()
    return NetworkSpec(
        name=net.name or f"{project.name}_{net.key}", driver=net.driver or "bridge", internal=net.internal,
        attachable=net.attachable, enable_ipv6=bool(net.enable_ipv6),
        labels=tuple(sorted(resource_labels(project.name, "network", net.key, net.labels).items())),
        driver_opts=tuple(sorted(net.driver_opts.items())), ipam=ipam,
    )


def used_networks(project: Project, services: Mapping[str, Service]) -> tuple[str, ...]:
    """Keys of the networks the given services join (``default`` when they name none)."""
    keys: list[str] = []
    for service in services.values():
        if network_mode(service, {}) != "bridge":
            continue
        for key in service.network_names() or ("default",):
            if key not in keys:
                keys.append(key)
    return tuple(keys)


__all__ = ["network_mode", "network_request", "network_spec", "port_requests", "used_networks"]
