"""``pycompose unpause``: thaw the services' paused containers."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.pause import freeze

    return freeze(opts, args.services, pause=False)
