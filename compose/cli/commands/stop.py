"""``pycompose stop``: stop the services' containers (reverse dependency order)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-t", "--timeout", type=float, default=None, metavar="SECONDS",
                        help="Specify a shutdown timeout in seconds")


def run(opts: Any, args: argparse.Namespace) -> int:
    import trio

    from compose.reconcile.common import lifecycle_for, service_names

    life = lifecycle_for(opts, timeout=args.timeout)
    names = service_names(life, args.services)
    if not opts.dry_run:
        trio.run(life.stop, names)
    return 0
