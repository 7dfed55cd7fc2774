"""``pycompose login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]`` and ``pycompose logout
[SERVER]``: credentials checked against the registry, kept in Docker's ``config.json``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("server", nargs="?", default="docker.io", metavar="SERVER")
    parser.add_argument("-u", "--username", help="Username")
    parser.add_argument("-p", "--password", help="Password")
    parser.add_argument("--password-stdin", action="store_true", help="Take the password from stdin")


def run(opts: Any, args: argparse.Namespace) -> int:
    import getpass

    from compose.errors import UsageError
    from runtime.api.login import login

    user = args.username
    if args.password_stdin:
        if args.password:
            raise UsageError("--password and --password-stdin are mutually exclusive")
        if not user:
            raise UsageError("Must provide --username with --password-stdin")
        secret = sys.stdin.read().rstrip("\n")
    else:
        secret = args.password
        if args.password:
            print("WARNING! Using --password via the CLI is insecure. Use --password-stdin.", file=sys.stderr)
    if not user:
        user = input("Username: ")
    if not secret:
        secret = getpass.getpass("Password: ")
    if not user or not secret:
        raise UsageError("Error: Cannot perform an interactive login from a non TTY device" if not sys.stdin.isatty()
                         else "username and password are required")
    login(args.server, user, secret)
    print("Login Succeeded")
    return 0
