"""``pycompose push [SERVICE...]`` and ``pycompose image push NAME[:TAG]``: images to registries.

Output as ``docker push``: ``The push refers to repository [host/name]``, one line per layer
(``Pushed`` / ``Layer already exists``), then ``<tag>: digest: sha256:… size: N``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--ignore-push-failures", action="store_true",
                        help="Push what it can and ignores images with push failures")
    parser.add_argument("--include-deps", action="store_true", help="Also push images of services declared as "
                                                                    "dependencies")
    parser.add_argument("-q", "--quiet", action="store_true", help="Push without printing progress information")


def push_one(ref: str, *, quiet: bool, out: Any = sys.stdout) -> None:
    from runtime.api.push import push
    from runtime.images.reference import parse

    parsed = parse(ref)

    def show(event: Any) -> None:
        if quiet:
            return
        if event.status == "The push refers to repository":
            print(f"The push refers to repository [{parsed.repository}]", file=out, flush=True)
        elif event.status in ("Pushed", "Layer already exists") or event.status.startswith("Mounted from"):
            print(f"{event.id}: {event.status}", file=out, flush=True)

    result = push(ref, progress=show)
    if not quiet:
        print(f"{result.tag}: digest: {result.digest} size: {result.size}", file=out, flush=True)


def push_services(project: Any, names: list[str], *, quiet: bool, ignore_failures: bool,
                  out: Any = sys.stdout) -> None:
    """Push the images of ``names`` as ``docker compose push`` selects them: only services that
    build their image and name it (``image`` and ``build.tags``); the others are skipped, since
    their image came from a registry. A failure stops the push unless ``ignore_failures``, which
    warns on stderr and goes on."""
    from runtime.errors import PyComposeError

    for name in names:
        service = project.services[name]
        if service.build is None or not service.image:
            continue
        for ref in dict.fromkeys((service.image, *service.build.tags)):
            try:
                push_one(ref, quiet=quiet, out=out)
            except PyComposeError as exc:
                if not ignore_failures:
                    raise
                print(f"WARN[0000] Pushing {name}: {exc}", file=sys.stderr, flush=True)


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.errors import UsageError
    from compose.reconcile.session import load_session

    session = load_session(opts)
    project = session.project
    unknown = [s for s in args.services if s not in project.services]
    if unknown:
        raise UsageError(f"no such service: {unknown[0]}")
    names = list(args.services) or sorted(project.services)
    if args.include_deps:
        names = sorted(session.graph.with_dependencies(names))
    push_services(project, names, quiet=args.quiet, ignore_failures=args.ignore_push_failures)
    return 0
