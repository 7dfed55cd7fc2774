"""``pycompose version``."""

from __future__ import annotations

import argparse
import json

from compose import __version__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--format", choices=("pretty", "json"), default="pretty",
                        help="Format the output")
    parser.add_argument("--short", action="store_true", help="Show only the version number")


def run(opts: object, args: argparse.Namespace) -> int:
    if args.short:
        print(__version__)
    elif args.format == "json":
        print(json.dumps({"version": __version__}))
    else:
        print(f"pycompose version {__version__}")
    return 0
