"""``pycompose scale SERVICE=NUM...``: set the number of containers of services (``--no-deps``:
without starting what they depend on), as ``up -d --no-recreate --scale`` does it."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scales", nargs="+", metavar="SERVICE=REPLICAS")
    parser.add_argument("--no-deps", action="store_true", help="Don't start linked services")


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands import up
    from compose.errors import UsageError

    services = []
    for item in args.scales:
        name, sep, num = item.partition("=")
        if not sep or not num.isdigit():
            raise UsageError(f"invalid scale {item!r}: expected SERVICE=REPLICAS")
        services.append(name)
    ns = argparse.Namespace(
        services=services, scale=list(args.scales), no_deps=args.no_deps, detach=True, no_recreate=True,
        force_recreate=False, no_start=False, wait=False, wait_timeout=0, timeout=None, remove_orphans=False,
        abort_on_container_exit=False, abort_on_container_failure=False, exit_code_from=None, attach=[],
        no_attach=[], attach_dependencies=False, timestamps=False, no_log_prefix=False, no_color=False,
        build=False, no_build=False, pull="missing", quiet_pull=False, yes=False, watch=False,
        always_recreate_deps=False, renew_anon_volumes=False, menu=False)
    return up.run(opts, ns)
