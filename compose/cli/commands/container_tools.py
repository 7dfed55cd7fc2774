"""``pycompose container attach|cp|port|stats``: Docker's commands on single containers, on the
same runtime calls as the compose-level ``attach``, ``cp``, ``port`` and ``stats`` (their helpers are
shared)."""

from __future__ import annotations

import argparse
from types import SimpleNamespace
from typing import Any


def add_parsers(sub: Any) -> None:
    from compose.cli.commands.attach import add_flags

    p = sub.add_parser("attach", help="Attach local standard input, output, and error streams to a running container")
    add_flags(p)
    p.add_argument("container", metavar="CONTAINER")
    p = sub.add_parser("cp", help="Copy files/folders between a container and the local filesystem")
    p.add_argument("-a", "--archive", action="store_true", help="Archive mode (copy all uid/gid information)")
    p.add_argument("-L", "--follow-link", action="store_true", help="Always follow symbol link in SRC_PATH")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress progress output during copy")
    p.add_argument("source", metavar="SRC", help="CONTAINER:SRC_PATH, a local path, or - (a tar stream on stdin)")
    p.add_argument("dest", metavar="DEST", help="CONTAINER:DEST_PATH, a local path, or - (a tar stream on stdout)")
    p = sub.add_parser("port", help="List port mappings or a specific mapping for the container")
    p.add_argument("container", metavar="CONTAINER")
    p.add_argument("private_port", nargs="?", metavar="PRIVATE_PORT[/PROTO]")
    p = sub.add_parser("stats", help="Display a live stream of container(s) resource usage statistics")
    p.add_argument("-a", "--all", action="store_true", help="Show all containers (default shows just running)")
    p.add_argument("--no-stream", action="store_true", help="Disable streaming stats and only pull the first result")
    p.add_argument("--no-trunc", action="store_true", help="Do not truncate output")
    p.add_argument("--format", default=None, help="Format output: table, json, or a Go template")
    p.add_argument("containers", nargs="*", metavar="CONTAINER")


def cmd_attach(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.attach import DEFAULT_DETACH_KEYS, attach, configured_detach_keys, parse_detach_keys

    keys = parse_detach_keys(args.detach_keys or configured_detach_keys() or DEFAULT_DETACH_KEYS)
    return attach(containers, args.container, stdin=not args.no_stdin, detach_keys=keys, sig_proxy=args.sig_proxy)


def cmd_cp(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.cp import copy_from, copy_to, split_target
    from compose.errors import UsageError

    src_ref, src_path = split_target(args.source)
    dest_ref, dest_path = split_target(args.dest)
    if src_ref is not None and dest_ref is not None:
        raise UsageError("copying between containers is not supported")
    if src_ref is None and dest_ref is None:
        raise UsageError("must specify at least one container source")
    if src_ref is not None:
        copy_from(containers, containers.get(src_ref).record.id, src_path, dest_path, follow=args.follow_link)
    else:
        assert dest_ref is not None
        copy_to(containers, containers.get(dest_ref).record.id, src_path, dest_path, archive=args.archive,
                follow=args.follow_link)
    return 0


def cmd_port(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.port import address, matching, parse_private_port
    from runtime.api import NotFound
    from runtime.api.networks import Networks

    info = containers.get(args.container)
    bindings = Networks().published(info.record.id)
    if args.private_port is None:
        for b in sorted(bindings, key=lambda b: (b.container_port, b.protocol, ":" in (b.host_ip or ""))):
            print(f"{b.container_port}/{b.protocol} -> {address(b)}")
        return 0
    port, protocol = parse_private_port(args.private_port)
    found = matching(bindings, port, protocol)
    if not found:
        raise NotFound(f"No public port '{port}/{protocol}' published for {args.container}")
    for b in found:
        print(address(b))
    return 0


def cmd_stats(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.stats import show

    if args.containers:
        infos = [containers.get(ref) for ref in args.containers]  # an unknown one: "No such container"
    else:
        infos = sorted(containers.list(all=args.all), key=lambda i: i.record.name)
    found = [SimpleNamespace(id=i.record.id, name=i.record.name) for i in infos]
    return show(containers, found, no_stream=args.no_stream, no_trunc=args.no_trunc, fmt=args.format)
