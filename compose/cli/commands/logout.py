"""``pycompose logout [SERVER]``: forget the credentials of SERVER (Docker Hub by default)."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("server", nargs="?", default="docker.io", metavar="SERVER")


def run(opts: Any, args: argparse.Namespace) -> int:
    from runtime.api.login import logout
    from runtime.registry.credentials import server_key

    key = server_key(args.server)
    if logout(args.server):
        print(f"Removing login credentials for {key}")
    else:
        print(f"Not logged in to {key}")
    return 0
