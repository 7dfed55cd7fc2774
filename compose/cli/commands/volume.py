"""``pycompose volume create|ls|inspect|rm|prune``: Docker's volume commands for the local driver."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="COMMAND", required=True)
    c = sub.add_parser("create", help="Create a volume")
    c.add_argument("name", nargs="?", default="")
    c.add_argument("-d", "--driver", default="local", help="Specify volume driver name")
    c.add_argument("--label", action="append", default=[], metavar="KEY=VALUE", help="Set metadata for a volume")
    c.add_argument("-o", "--opt", action="append", default=[], metavar="KEY=VALUE",
                   help="Set driver specific options (type, o, device)")
    ls = sub.add_parser("ls", aliases=["list"], help="List volumes")
    ls.add_argument("-q", "--quiet", action="store_true", help="Only display volume names")
    ls.add_argument("-f", "--filter", action="append", default=[], help="Filter (name=, label=, dangling=)")
    ls.add_argument("--format", default="", help="'json' for one JSON object per line")
    i = sub.add_parser("inspect", help="Display detailed information on one or more volumes")
    i.add_argument("names", nargs="+")
    rm = sub.add_parser("rm", aliases=["remove"], help="Remove one or more volumes")
    rm.add_argument("names", nargs="+")
    rm.add_argument("-f", "--force", action="store_true", help="Force the removal of one or more volumes")
    p = sub.add_parser("prune", help="Remove unused local volumes")
    p.add_argument("-a", "--all", action="store_true", help="Remove all unused volumes, not just anonymous ones")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument("--filter", action="append", default=[], help="Filter (label=KEY[=VALUE])")


def _pairs(items: list[str]) -> dict[str, str]:
    from runtime.api import RuntimeFailure

    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise RuntimeFailure(f"invalid value {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def _matches(vols: Any, record: Any, filters: list[str]) -> bool:
    for f in filters:
        key, _, value = f.partition("=")
        if key == "name" and value not in record.name:
            return False
        if key == "label":
            k, sep, v = value.partition("=")
            if k not in record.labels or (sep and record.labels[k] != v):
                return False
        if key == "dangling" and (value in ("true", "1")) == bool(vols.users(record.name)):
            return False
    return True


def run(opts: Any, args: argparse.Namespace) -> int:
    from runtime.api.volumes import Volumes

    vols = Volumes()
    action = {"list": "ls", "remove": "rm"}.get(args.action, args.action)
    if action == "create":
        import os

        name = args.name or os.urandom(32).hex()
        record = vols.create(name, driver=args.driver, labels=_pairs(args.label), options=_pairs(args.opt))
        print(record.name)
        return 0
    if action == "ls":
        records = [r for r in vols.list() if _matches(vols, r, args.filter)]
        if args.quiet:
            for r in records:
                print(r.name)
        elif args.format == "json":
            for r in records:
                print(json.dumps({"Driver": r.driver, "Labels": ",".join(f"{k}={v}" for k, v in r.labels.items()),
                                  "Mountpoint": str(vols.store.data_dir(r.name)), "Name": r.name, "Scope": "local"}))
        else:
            print(f"{'DRIVER':<16}VOLUME NAME")
            for r in records:
                print(f"{r.driver:<16}{r.name}")
        return 0
    if action == "inspect":
        out, code = [], 0
        for name in args.names:
            try:
                out.append(vols.inspect(name))
            except Exception as exc:
                print(f"pycompose: {exc}", file=sys.stderr)
                code = 1
        print(json.dumps(out, indent=4))
        return code
    if action == "rm":
        code = 0
        for name in args.names:
            from runtime.api import PyComposeError

            try:
                vols.remove(name, force=args.force)
                print(name)
            except PyComposeError as exc:
                print(f"pycompose: {exc.render()}", file=sys.stderr)
                code = 1
        return code
    labels = tuple(f.partition("=")[2] for f in args.filter if f.startswith("label="))
    removed, freed = vols.prune(all_volumes=args.all, labels=labels)
    if removed:
        print("Deleted Volumes:")
        for name in removed:
            print(name)
        print()
    print(f"Total reclaimed space: {_human(freed)}")
    return 0


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.4g}{unit}" if unit != "B" else f"{int(size)}B"
        size /= 1000
    return f"{n}B"
