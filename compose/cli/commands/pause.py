"""``pycompose pause``: freeze the services' running containers (cgroup freezer)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")


def freeze(opts: Any, services: list[str], *, pause: bool) -> int:
    """``pause`` (running -> paused) or ``unpause`` (paused -> running), in Docker Compose's words."""
    from compose.cli.targets import open_target

    target = open_target(opts)
    wanted = "running" if pause else "paused"
    found = [c for c in target.containers(services, oneoff=None) if c.status == wanted]
    doing, done = ("Pausing", "Paused") if pause else ("Unpausing", "Unpaused")
    api = target.rt.containers
    for c in found:
        target.progress.event("Container", c.name, doing)
        if not opts.dry_run:
            (api.pause if pause else api.unpause)(c.id)
        target.progress.event("Container", c.name, done)
    return 0


def run(opts: Any, args: argparse.Namespace) -> int:
    return freeze(opts, args.services, pause=True)
