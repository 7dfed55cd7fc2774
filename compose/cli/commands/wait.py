"""``pycompose wait``: block until the services' containers stop; print each exit code.

``--down-project`` takes the project down once the first container has stopped, as
Docker Compose does. The exit code is the first stopped container's.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="+", metavar="SERVICE")
    parser.add_argument("--down-project", action="store_true", help="Drops project when the first container stops")


def run(opts: Any, args: argparse.Namespace) -> int:
    import queue
    import threading

    from compose.cli.targets import open_target

    target = open_target(opts)
    found = target.containers(args.services)
    if not found:
        return 0
    api = target.rt.containers
    results: queue.Queue[tuple[str, int]] = queue.Queue()

    def wait_one(cid: str, name: str) -> None:
        results.put((name, api.wait(cid)))

    for c in found:
        threading.Thread(target=wait_one, args=(c.id, c.name), daemon=True).start()
    first: int | None = None
    for _ in found:
        _name, code = results.get()
        print(code)
        sys.stdout.flush()
        if first is None:
            first = code
            if args.down_project:
                import trio

                life = target.lifecycle()
                trio.run(life.down)
                break
    return first or 0
