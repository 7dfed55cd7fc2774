"""``pycompose port``: the public address a service's private port is published on.

The helpers (:func:`parse_private_port`, :func:`address`, :func:`matching`) are shared with
``pycompose container port``.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=int, default=0, help="Index of the container if service has multiple replicas")
    parser.add_argument("--protocol", default="tcp", choices=("tcp", "udp", "sctp"), help="tcp or udp")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("private_port", metavar="PRIVATE_PORT")


def parse_private_port(text: str, default_protocol: str = "tcp") -> tuple[int, str]:
    """``80``, ``80/udp`` -> (80, "udp")."""
    from compose.errors import UsageError

    port, _, proto = text.partition("/")
    if not port.isdigit() or proto not in ("", "tcp", "udp", "sctp"):
        raise UsageError(f"invalid port {text!r}: a number, optionally with /tcp or /udp")
    return int(port), proto or default_protocol


def address(binding: Any) -> str:
    """A binding's public side as Docker prints it: ``0.0.0.0:8080``, ``[::]:8080``."""
    host = binding.host_ip or "0.0.0.0"
    return f"[{host}]:{binding.host_port}" if ":" in host else f"{host}:{binding.host_port}"


def matching(bindings: Any, port: int, protocol: str) -> list[Any]:
    return [b for b in bindings if b.container_port == port and b.protocol == protocol]


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target
    from runtime.api import NotFound

    port, protocol = parse_private_port(args.private_port, args.protocol)
    target = open_target(opts)
    container = target.one(args.service, args.index or None)
    found = matching(target.rt.networks.published(container.id), port, protocol)
    if not found:
        raise NotFound(f"no port {port}/{protocol} for container {container.name}")
    print(address(found[0]))
    return 0
