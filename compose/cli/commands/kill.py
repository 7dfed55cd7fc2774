"""``pycompose kill``: send a signal (SIGKILL by default) to the services' running containers."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-s", "--signal", default="SIGKILL", help='SIGNAL to send to the container (default "SIGKILL")')
    parser.add_argument("--remove-orphans", action="store_true",
                        help="Remove containers for services not defined in the Compose file")


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target

    target = open_target(opts)
    found = target.containers(args.services, running_only=True, oneoff=None)
    if args.remove_orphans and target.session is not None:
        import trio

        declared = set(target.known_services)
        orphans = [c for c in target.state.containers if c.service not in declared]
        if orphans and not opts.dry_run:
            life = target.lifecycle()
            trio.run(lambda: life.remove(orphans, stop=True))
        found = [c for c in found if c.service in declared]
    if not found:
        print("no container to kill", file=sys.stderr)
        return 0
    api = target.rt.containers
    for c in found:
        target.progress.event("Container", c.name, "Killing")
        if not opts.dry_run:
            api.kill(c.id, signal=args.signal)
        target.progress.event("Container", c.name, "Killed")
    return 0
