"""``pycompose inspect [--type TYPE] [-f FORMAT] NAME|ID...``: any object, as ``docker inspect``.

Each name is looked up as a container, then an image, a volume and a network (or only as
``--type``); the JSON array of what was found is printed, or ``--format`` (a Go template, e.g.
``{{.State.Status}}`` or ``{{json .Config}}``) once per object. A name found nowhere prints
``Error: No such object: NAME`` and the exit code is 1, after the others are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

TYPES = ("container", "image", "volume", "network")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME|ID")
    parser.add_argument("--type", choices=TYPES, help="Only inspect objects of this type")
    parser.add_argument("-f", "--format", help="Format the output using the given Go template")
    parser.add_argument("-s", "--size", action="store_true", help="Display total file sizes (containers)")


def _finders() -> dict[str, Any]:
    from runtime.api.containers import Containers
    from runtime.api.images import ImageStore
    from runtime.api.networks import Networks
    from runtime.api.volumes import Volumes

    return {"container": lambda n: Containers().inspect(n), "image": lambda n: ImageStore().inspect(n),
            "volume": lambda n: Volumes().inspect(n), "network": lambda n: Networks().inspect(n)}


def run(opts: Any, args: argparse.Namespace) -> int:
    from runtime.api import NotFound, PyComposeError

    finders = _finders()
    found: list[Any] = []
    missing: list[str] = []
    for name in args.names:
        for kind in (args.type,) if args.type else TYPES:
            try:
                found.append(finders[kind](name))
                break
            except NotFound:
                continue
            except PyComposeError:
                continue
        else:
            missing.append(name)
    if args.format:
        from compose.cli.gotemplate import render

        for obj in found:
            print(render(args.format, obj))
    else:
        print(json.dumps(found, indent=4))
    for name in missing:
        kind = f"{args.type}" if args.type else "object"
        print(f"Error: No such {kind}: {name}", file=sys.stderr)
    return 1 if missing else 0
