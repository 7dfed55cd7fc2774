"""``pycompose images``: the images the project's containers were created from."""

from __future__ import annotations

import argparse
from typing import Any

COLUMNS = ("CONTAINER", "REPOSITORY", "TAG", "PLATFORM", "IMAGE ID", "SIZE", "CREATED")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-q", "--quiet", action="store_true", help="Only display IDs")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="Format the output")


def split_reference(name: str) -> tuple[str, str]:
    """``busybox:latest`` -> ("busybox", "latest"); a registry port is not a tag."""
    head, sep, tag = name.rpartition(":")
    if not sep or "/" in tag:
        return name, "latest"
    return head, tag


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.render import ago, size_human, table
    from compose.cli.targets import open_target
    from runtime.api import NotFound

    target = open_target(opts)
    images = target.rt.images
    api = target.rt.containers
    rows = []
    for c in sorted(target.containers(args.services, oneoff=None), key=lambda c: c.name):
        record = api.get(c.id).record
        try:
            image = images.resolve(record.image_id or record.image)
        except NotFound:
            continue
        repo, tag = split_reference(record.image) if record.image and not record.image.startswith("sha256:") \
            else ("<none>", "<none>")
        platform = "/".join(p for p in (image.platform.os, image.platform.architecture, image.platform.variant) if p)
        rows.append({"ContainerName": c.name, "Repository": repo, "Tag": tag, "Platform": platform, "ID": image.id,
                     "Size": image.size, "Created": image.created, "LastTagTime": "0001-01-01T00:00:00Z"})
    if args.quiet:
        print("".join(f"{i}\n" for i in dict.fromkeys(r["ID"] for r in rows)), end="")
    elif args.format == "json":
        import json

        print(json.dumps(rows, indent=2))
    else:
        print(table(COLUMNS, [[r["ContainerName"], r["Repository"], r["Tag"], r["Platform"], r["ID"][7:19],
                               size_human(r["Size"]), ago(r["Created"])] for r in rows]), end="")
    return 0
