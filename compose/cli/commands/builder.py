"""``pycompose builder prune``: Docker's ``builder prune`` for the local build cache."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("prune", help="Remove build cache")
    p.add_argument("-a", "--all", action="store_true", help="Remove all unused build cache, not just dangling ones")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument("--keep-storage", default=None, metavar="BYTES", help="Amount of disk space to keep for cache")


def run(opts: object, args: argparse.Namespace) -> int:
    from compose.cli.commands.container import parse_size
    from compose.cli.render import size_human
    from runtime.api.build import Builder, BuildError

    try:
        keep = parse_size(args.keep_storage) if args.keep_storage is not None else None
    except ValueError as e:
        raise BuildError(f"--keep-storage: {e}") from None
    if not args.force:
        print("WARNING! This will remove all dangling build cache.\nAre you sure you want to continue? [y/N] ",
              end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print()
            return 0
    freed = Builder().prune(all=args.all, keep_storage=keep)
    print(f"Total:\t{size_human(freed)}")
    return 0
