"""``pycompose start``: start the services' existing containers (dependency order, conditions)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--wait", action="store_true", help="Wait for services to be running|healthy")
    parser.add_argument("--wait-timeout", type=float, default=0, metavar="SECONDS",
                        help="Maximum duration to wait for the project")


def run(opts: Any, args: argparse.Namespace) -> int:
    import trio

    from compose.reconcile.common import lifecycle_for, service_names

    life = lifecycle_for(opts)
    names = service_names(life, args.services)
    if opts.dry_run:
        return 0

    async def main() -> int:
        await life.start(names)
        if args.wait:
            from compose.reconcile.waiting import wait_project

            assert life.session is not None
            return await wait_project(life.session, names, life.progress, timeout=args.wait_timeout or None)
        return 0

    return trio.run(main)
