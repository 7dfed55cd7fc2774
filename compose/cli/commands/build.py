"""``pycompose build [SERVICE...]``: build the services that have a ``build:`` section.

    --no-cache  --pull  --build-arg KEY[=VALUE]  -q/--quiet  --push  --with-dependencies
    --ssh ID[=PATH]  --print (the bake-like JSON of what would be built, nothing is built)
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--no-cache", action="store_true", help="Do not use cache when building the image")
    parser.add_argument("--pull", action="store_true", help="Always attempt to pull a newer version of the image")
    parser.add_argument("--build-arg", action="append", default=[], help="Set build-time variables for services")
    parser.add_argument("-q", "--quiet", action="store_true", help="Don't print anything to STDOUT")
    parser.add_argument("--push", action="store_true", help="Push service images")
    parser.add_argument("--with-dependencies", action="store_true",
                        help="Also build dependencies (transitively)")
    parser.add_argument("--ssh", action="append", default=[],
                        help="Set SSH authentications used when building service images")
    parser.add_argument("--print", action="store_true", dest="print_plan",
                        help="Print equivalent bake file")


def run(opts: Any, args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    from compose import build
    from compose.cli.commands.image_build import _kv
    from compose.errors import UsageError
    from compose.reconcile.session import Runtime, load_session

    session = load_session(opts)
    project = session.project
    for name in args.services:
        if name not in project.services:
            raise UsageError(f"no such service: {name}")
    names = list(args.services)
    if names and args.with_dependencies:
        names = sorted(session.graph.with_dependencies(names))
    if args.ssh:
        services = {n: replace(s, build=replace(s.build, ssh=tuple(args.ssh)))
                    for n, s in project.services.items() if s.build is not None}
        project = replace(project, services={**project.services, **services})
        session = replace(session, project=project)
    build_args = _kv(args.build_arg, "build argument")
    if args.print_plan:
        plan = build.bake_plan(session, names, no_cache=args.no_cache, pull=args.pull, build_args=build_args)
        print(json.dumps(plan, indent=2))
        return 0
    if not build.buildable(project, names):
        return 0
    session = replace(session, runtime=Runtime.open())
    build.build_services(session, names, no_cache=args.no_cache, pull=args.pull, quiet=args.quiet,
                         build_args=build_args, push=args.push, progress=opts.progress)
    return 0
