"""``pycompose port``: the public address a service's private port is published on."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=int, default=0, help="Index of the container if service has multiple replicas")
    parser.add_argument("--protocol", default="tcp", choices=("tcp", "udp", "sctp"), help="tcp or udp")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("private_port", metavar="PRIVATE_PORT")


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target
    from compose.errors import UsageError
    from runtime.api import NotFound

    port, _, proto = args.private_port.partition("/")
    if not port.isdigit():
        raise UsageError(f"invalid port {args.private_port!r}: a number, optionally with /tcp or /udp")
    protocol = proto or args.protocol
    target = open_target(opts)
    container = target.one(args.service, args.index or None)
    for p in target.rt.networks.published(container.id):
        if p.container_port == int(port) and p.protocol == protocol:
            print(f"{p.host_ip or '0.0.0.0'}:{p.host_port}")
            return 0
    raise NotFound(f"no port {port}/{protocol} for container {container.name}")
