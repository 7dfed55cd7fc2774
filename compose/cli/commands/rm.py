"""``pycompose rm``: remove stopped containers of the services (``-s``: stop them first)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-f", "--force", action="store_true", help="Don't ask to confirm removal")
    parser.add_argument("-s", "--stop", action="store_true", help="Stop the containers, if required, before removing")
    parser.add_argument("-v", "--volumes", action="store_true",
                        help="Remove any anonymous volumes attached to containers")


def run(opts: Any, args: argparse.Namespace) -> int:
    import trio

    from compose.reconcile.common import lifecycle_for, service_names

    life = lifecycle_for(opts)
    names = set(service_names(life, args.services))
    state = life.read()
    targets = [c for c in state.containers if c.service in names and (args.stop or not c.active)]
    if not targets:
        print("No stopped containers", file=sys.stderr)
        return 0
    if not args.force:
        print(f"Going to remove {', '.join(c.name for c in targets)}", file=sys.stderr)
        sys.stderr.write("Are you sure? [yN] ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            return 0
    if opts.dry_run:
        return 0
    anonymous = []
    if args.volumes:
        for c in targets:
            for m in c.mounts:
                name = life.rt.volumes.name_of(m.source) if m.type == "bind" else None
                if name and (rec := life.rt.volumes.find(name)) is not None and rec.anonymous:
                    anonymous.append(name)
    trio.run(lambda: life.remove(targets, stop=args.stop))
    for name in anonymous:
        life.rt.volumes.remove(name)
    return 0
