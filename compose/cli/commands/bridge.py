"""``pycompose bridge convert``: the project as Kubernetes manifests (Docker Compose's own name
for this, ``docker compose bridge convert``).

    pycompose bridge convert [-o DIR] [--check] [--kubernetes-version 1.31.0]

Without ``-o`` the manifests go to standard output as one YAML stream (``kubectl apply -f -``);
with ``-o DIR`` one file per object. What has no Kubernetes equivalent is listed on stderr,
one line each. ``--check`` validates every manifest against the Kubernetes OpenAPI schemas of
the given version (needs the ``kubernetes-validate`` package) and fails on the first error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("convert", help="Convert the project to Kubernetes manifests")
    p.add_argument("-o", "--output", metavar="DIR", help="Write one file per manifest into DIR")
    p.add_argument("--check", action="store_true", help="Validate the manifests against the Kubernetes schemas")
    p.add_argument("--kubernetes-version", default=None, help="Kubernetes version of the schemas (--check)")


def run(opts: Any, args: argparse.Namespace) -> int:
    from pathlib import Path

    from compose.errors import UsageError
    from compose.kube.convert import KUBERNETES_VERSION, convert, dump, validate
    from compose.reconcile.session import load_session

    session = load_session(opts)
    docs, warnings = convert(session.project)
    for line in warnings:
        print(f"WARN[0000] {line}", file=sys.stderr)
    if args.check:
        try:
            errors = validate(docs, args.kubernetes_version or KUBERNETES_VERSION)
        except ImportError:
            raise UsageError("--check needs the kubernetes-validate package (pip install kubernetes-validate)") \
                from None
        if errors:
            raise UsageError(f"manifest invalid for Kubernetes {args.kubernetes_version or KUBERNETES_VERSION}: "
                             f"{errors[0]}")
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        for doc in docs:
            name = f"{doc['metadata']['name']}-{doc['kind'].lower()}.yaml"
            (out / name).write_text(dump([doc]))
        return 0
    sys.stdout.write(dump(docs))
    return 0
