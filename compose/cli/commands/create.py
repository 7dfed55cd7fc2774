"""``pycompose create``: create the containers (and networks, volumes) without starting them."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--force-recreate", action="store_true",
                        help="Recreate containers even if their configuration hasn't changed")
    parser.add_argument("--no-recreate", action="store_true", help="If containers already exist, don't recreate them")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="Remove containers for services not defined in the Compose file")
    parser.add_argument("--scale", action="append", default=[], metavar="SERVICE=NUM",
                        help="Scale SERVICE to NUM instances")
    parser.add_argument("--pull", choices=("always", "missing", "never"), default="missing")
    parser.add_argument("--quiet-pull", action="store_true", help="Pull without printing progress information")
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("-y", "--yes", action="store_true")


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands import up

    ns = argparse.Namespace(**vars(args))
    for name, value in (("detach", True), ("no_deps", False), ("no_start", True), ("wait", False),
                        ("wait_timeout", 0), ("timeout", None), ("abort_on_container_exit", False),
                        ("abort_on_container_failure", False), ("exit_code_from", None), ("attach", []),
                        ("no_attach", []), ("attach_dependencies", False), ("timestamps", False),
                        ("no_log_prefix", False), ("no_color", False)):
        setattr(ns, name, value)
    return up.run(opts, ns)
