"""``pycompose container commit`` and ``pycompose container export`` (``docker commit``/``export``).

``commit [-a AUTHOR] [-m MSG] [-c CHANGE]... [-p|--pause=false] CONTAINER [REPO[:TAG]]`` prints
the new image's ID; ``export [-o FILE] CONTAINER`` writes the container's file system as a
tar to FILE (replaced only once complete) or to standard output (never to a terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from compose.cli.goflags import add_bool


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("commit", help="Create a new image from a container's changes")
    p.add_argument("-a", "--author", default="", help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    p.add_argument("-c", "--change", action="append", default=[], help="Apply Dockerfile instruction to the image")
    p.add_argument("-m", "--message", default="", help="Commit message")
    add_bool(p, "-p", "--pause", default=True, help="Pause container during commit")
    p.add_argument("targets", nargs="*", metavar="CONTAINER [REPOSITORY[:TAG]]")
    p = sub.add_parser("export", help="Export a container's filesystem as a tar archive")
    p.add_argument("-o", "--output", default=None, help="Write to a file, instead of STDOUT")
    p.add_argument("container")


def cmd_commit(containers: Any, args: argparse.Namespace) -> int:
    from compose.errors import UsageError

    targets = list(args.targets)
    if len(targets) not in (1, 2):
        raise UsageError('"container commit" requires at least 1 and at most 2 arguments: CONTAINER [REPOSITORY[:TAG]]')
    image_id = containers.commit(targets[0], targets[1] if len(targets) == 2 else None, author=args.author,
                                 message=args.message, changes=tuple(args.change), pause=args.pause)
    print(image_id)
    return 0


def cmd_export(containers: Any, args: argparse.Namespace) -> int:
    from compose.errors import UsageError

    if args.output is None or args.output == "-":
        if sys.stdout.isatty():
            raise UsageError("cowardly refusing to save to a terminal: use the -o flag or redirect")
        sys.stdout.flush()
        with os.fdopen(os.dup(sys.stdout.fileno()), "wb") as out:
            containers.export(args.container, out)
        return 0
    from pathlib import Path

    containers.export(args.container, Path(os.path.abspath(args.output)))
    return 0
