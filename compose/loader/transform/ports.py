"""The short syntax of ``services.*.ports``, read as Docker Compose reads it.

``[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]``; an IPv6 host address
may be written in brackets. A container port range expands to one entry per port; a
single container port with a host range keeps the host range as ``published``. The
entries of one spec come sorted by their ``PORT/PROTOCOL`` text, as Docker's parser
returns them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from compose.errors import ConfigError

PROTOCOLS = ("tcp", "udp", "sctp")


class PortSyntaxError(ConfigError):
    """A port spec that Docker Compose refuses; the message says why."""


def _uint16(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(text)
    value = int(text)
    if value > 0xFFFF:
        raise ValueError(text)
    return value


def parse_range(text: str) -> tuple[int, int]:
    """``"80"`` -> ``(80, 80)``, ``"80-82"`` -> ``(80, 82)``; ValueError otherwise."""
    if text == "":
        raise ValueError("empty port")
    if "-" not in text:
        port = _uint16(text)
        return port, port
    # Docker reads the first two dash-separated parts only.
    parts = text.split("-")
    start, end = _uint16(parts[0]), _uint16(parts[1])
    if end < start:
        raise ValueError(text)
    return start, end


def _split_parts(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    container = parts[-1]
    if len(parts) == 1:
        return "", "", container
    if len(parts) == 2:
        return "", parts[0], container
    return ":".join(parts[:-2]), parts[-2], container


def _split_proto(text: str) -> tuple[str, str]:
    port, _, proto = text.partition("/")
    if not port:
        return "", ""
    return proto or "tcp", port


def _host_ip(ip: str) -> str:
    if ip.startswith("["):
        if not ip.endswith("]") or ip.count("[") != 1 or ip.count("]") != 1:
            raise PortSyntaxError(f"invalid IP address {ip}")
        ip = ip[1:-1]
    if ip and ("%" in ip or not _is_ip(ip)):
        raise PortSyntaxError(f"invalid IP address {ip}")
    return ip


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_port(spec: str) -> list[dict[str, Any]]:
    """One short port spec -> its long-syntax entries (``mode``, ``host_ip``, ``target``,
    ``published``, ``protocol``; empty ones left out)."""
    ip, host, container = _split_parts(spec)
    proto, container = _split_proto(container)
    ip = _host_ip(ip)
    if not container:
        raise PortSyntaxError(f"no container port in {spec!r}")
    try:
        start, end = parse_range(container)
    except ValueError:
        raise PortSyntaxError(f"invalid container port {container!r}") from None
    host_start = host_end = 0
    if host:
        try:
            host_start, host_end = parse_range(host)
        except ValueError:
            raise PortSyntaxError(f"invalid host port {host!r}") from None
        if end - start != host_end - host_start and end != start:
            raise PortSyntaxError(
                f"host port range {host} and container port range {container} differ in size"
            )
    proto = proto.lower()
    if proto not in PROTOCOLS:
        raise PortSyntaxError(f"invalid protocol {proto!r}, expected one of {', '.join(PROTOCOLS)}")
    entries: list[tuple[str, dict[str, Any]]] = []
    for i in range(end - start + 1):
        published = ""
        if host:
            published = str(host_start + i)
            if start == end and host_start != host_end:
                published = f"{published}-{host_end}"
        entry: dict[str, Any] = {"mode": "ingress"}
        if ip:
            entry["host_ip"] = ip
        if start + i:
            entry["target"] = start + i
        if published:
            entry["published"] = published
        entry["protocol"] = proto
        entries.append((f"{start + i}/{proto}", entry))
    entries.sort(key=lambda item: item[0])
    return [entry for _key, entry in entries]
