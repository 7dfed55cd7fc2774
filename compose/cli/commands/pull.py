"""``pycompose pull``: pull the images of the services, as ``docker compose pull``."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("services", nargs="*", metavar="SERVICE")
    a("--ignore-buildable", action="store_true", help="Ignore images that can be built")
    a("--ignore-pull-failures", action="store_true", help="Pull what it can and ignores images with pull failures")
    a("--include-deps", action="store_true", help="Also pull services declared as dependencies")
    a("--policy", choices=("missing", "always"), default=None, help="Apply pull policy (missing|always)")
    a("-q", "--quiet", action="store_true", help="Pull without printing progress information")


def run(opts: Any, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from compose.prepare import ImageStep, pull_images
    from compose.reconcile.session import Runtime, load_session

    session = load_session(opts, services=tuple(args.services))
    for name in args.services:
        session.project.service(name)
    names = set(args.services or session.project.services)
    if args.include_deps:
        names = set(session.graph.with_dependencies(sorted(names)))
    rt = Runtime.open()
    session = replace(session, runtime=rt)
    steps = []
    for name in sorted(names):
        service = session.project.services[name]
        if service.build is not None and (args.ignore_buildable or not service.image):
            continue  # Docker Compose skips buildable services without an image name too
        if (service.pull_policy or "").lower() in ("build", "never") and args.policy is None:
            continue
        ref = service.image_name(session.project.name)
        if args.policy == "missing" and rt.images.exists(ref, service.platform or None):
            continue
        steps.append(ImageStep(name, ref, "pull"))
    if opts.dry_run:
        return 0
    failures = pull_images(session, steps, quiet=args.quiet, ignore_failures=args.ignore_pull_failures)
    return 0 if not failures or args.ignore_pull_failures else 1
