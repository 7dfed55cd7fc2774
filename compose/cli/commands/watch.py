"""``pycompose watch [SERVICE...]``: start the services (unless ``--no-up``), then act on file
changes as their ``develop.watch`` rules say, until Ctrl-C (which stops watching and leaves the
containers running, as Docker Compose does). ``up --watch`` is :func:`up_with_watch`."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from typing import Any

from compose.cli.goflags import add_bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--no-up", action="store_true", help="Do not build & start services before watching")
    add_bool(parser, "--prune", default=True, help="Prune dangling images on rebuild")
    parser.add_argument("--quiet", action="store_true", help="Hide build output")


def _watch(opts: Any, services: list[str], *, quiet: bool, prune: bool = True) -> None:
    from dataclasses import replace

    from compose.reconcile.session import Runtime, load_session
    from compose.watch.watcher import Watcher

    session = replace(load_session(opts), runtime=Runtime.open())
    watcher = Watcher(opts, session, services, quiet=quiet, json_lines=opts.progress == "json", prune=prune)
    stop = threading.Event()

    def interrupted(_signum: int, _frame: object) -> None:
        stop.set()  # the watch loop ends within its poll interval

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)
    watcher.run(stop)


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.watch.watcher import cli_prefix

    if not args.no_up:
        done = subprocess.run([*cli_prefix(opts), "up", "-d", *args.services], check=False)
        if done.returncode != 0:
            return done.returncode
    _watch(opts, list(args.services), quiet=args.quiet, prune=args.prune)
    return 0


def up_with_watch(opts: Any, args: argparse.Namespace) -> int:
    """``up --watch``: the services up, their logs and the watch events interleaved; Ctrl-C stops
    watching and then the project, as an attached ``up`` does."""
    from compose.watch.watcher import cli_prefix

    prefix = cli_prefix(opts)
    up = [*prefix, "up", "-d", *(["--build"] if args.build else []), *args.services]
    done = subprocess.run(up, check=False)
    if done.returncode != 0:
        return done.returncode
    logs = subprocess.Popen([*prefix, "logs", "-f", *args.services], stdout=sys.stdout)
    try:
        _watch(opts, list(args.services), quiet=False)
    finally:
        logs.terminate()
        logs.wait()
        print("Gracefully stopping... (press Ctrl+C again to force)", file=sys.stderr, flush=True)
        subprocess.run([*prefix, "stop", *args.services], check=False)
    return 0
