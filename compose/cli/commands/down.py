"""``pycompose down``: stop and remove the project's containers and networks (``-v``: volumes).

Containers stop in reverse dependency order, in parallel within a layer. Works from the
compose file, or from ``-p NAME`` alone when no compose file is found.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-v", "--volumes", action="store_true",
                        help="Remove named volumes declared in the \"volumes\" section of the Compose file and "
                             "anonymous volumes attached to containers")
    parser.add_argument("--rmi", choices=("local", "all"), default="",
                        help="Remove images used by services: \"local\" only those without a custom tag")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="Remove containers for services not defined in the Compose file")
    parser.add_argument("-t", "--timeout", type=float, default=None, metavar="SECONDS",
                        help="Specify a shutdown timeout in seconds")


def run(opts: Any, args: argparse.Namespace) -> int:
    import trio

    from compose.reconcile.common import lifecycle_for

    life = lifecycle_for(opts, timeout=args.timeout, required=False)
    if opts.dry_run:
        return 0
    with life.rt.state.lock(f"project-{life.project}"):
        trio.run(lambda: life.down(volumes=args.volumes, remove_orphans=args.remove_orphans, rmi=args.rmi))
    return 0
