"""``pycompose build [SERVICE...]``: build the services that have ``build:``.

``--no-cache``, ``--pull``, ``--build-arg K[=V]``, ``-q``, ``--with-dependencies`` (also the
services they depend on), ``--push``, ``--print`` (the build definitions as JSON, without
building), ``--progress``. A service without ``build:`` is skipped, as Docker Compose does.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--build-arg", action="append", default=[], help="Set build-time variables for services")
    parser.add_argument("--no-cache", action="store_true", help="Do not use cache when building the image")
    parser.add_argument("--pull", action="store_true", help="Always attempt to pull a newer version of the image")
    parser.add_argument("-q", "--quiet", action="store_true", help="Don't print anything to STDOUT")
    parser.add_argument("--push", action="store_true", help="Push service images")
    parser.add_argument("--with-dependencies", action="store_true",
                        help="Also build dependencies (transitively)")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="Print equivalent bake file (the build definitions as JSON)")
    parser.add_argument("--ssh", default="", help="Set SSH authentications used when building service images")
    parser.add_argument("--progress", choices=("auto", "tty", "plain", "json", "quiet"), default="auto")


def run(opts: Any, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from compose.build import build_request, build_services, buildable
    from compose.cli.commands.image_build import Printer
    from compose.errors import UsageError
    from compose.reconcile.session import Runtime, load_session

    session = load_session(opts)
    project = session.project
    unknown = [s for s in args.services if s not in project.services]
    if unknown:
        raise UsageError(f"no such service: {unknown[0]}")
    names = list(args.services) or sorted(project.services)
    if args.with_dependencies:
        names = sorted(session.graph.with_dependencies(names))
    build_args = {}
    for item in args.build_arg:
        key, eq, value = item.partition("=")
        build_args[key] = value if eq else None
    if args.print_only:
        targets = {}
        for name in buildable(project, names):
            req = build_request(project, project.services[name], no_cache=args.no_cache, pull=args.pull,
                                build_args=build_args)
            targets[name] = {"context": str(req.context), "dockerfile": str(req.dockerfile or "Dockerfile"),
                             "args": {k: v for k, v in req.args.items() if v is not None}, "tags": list(req.tags),
                             **({"target": req.target} if req.target else {}),
                             **({"labels": dict(req.labels)} if req.labels else {}),
                             **({"no-cache": True} if req.no_cache else {})}
        print(json.dumps({"group": {"default": {"targets": sorted(targets)}}, "target": targets}, indent=2))
        return 0
    session = replace(session, runtime=Runtime.open())
    printer = Printer("quiet" if args.quiet else args.progress, sys.stderr)
    build_services(session, names, no_cache=args.no_cache, pull=args.pull, quiet=args.quiet,
                   build_args=build_args, push=args.push, printer=printer)
    return 0
