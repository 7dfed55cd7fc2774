"""``pycompose ls``: the projects on this host (running ones, all with ``-a``), found by labels."""

from __future__ import annotations

import argparse
from typing import Any

COLUMNS = ("NAME", "STATUS", "CONFIG FILES")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--all", action="store_true", help="Show all stopped Compose projects")
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                        help="Filter output based on conditions provided (name=NAME)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="Format the output")
    parser.add_argument("-q", "--quiet", action="store_true", help="Only display project names")


def status_text(states: list[str]) -> str:
    """Docker Compose's ``running(2), exited(1)``: each state with its count, in first-seen order."""
    counts: dict[str, int] = {}
    for s in states:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{s}({n})" for s, n in counts.items())


def projects(containers: Any) -> list[dict[str, str]]:
    """One summary per project label found on any container."""
    from compose.convert import labels as L

    found: dict[str, dict[str, Any]] = {}
    for info in containers.list(all=True, labels={L.PROJECT: ""}):
        labels = dict(info.record.spec.labels)
        entry = found.setdefault(labels[L.PROJECT], {"states": [], "files": ""})
        entry["states"].append(info.state.status)
        entry["files"] = entry["files"] or labels.get(L.CONFIG_FILES, "")
    return [{"Name": name, "Status": status_text(sorted(e["states"], key=lambda s: s != "running")),
             "ConfigFiles": e["files"], "running": str(any(s in ("running", "paused", "restarting")
                                                           for s in e["states"]))}
            for name, e in sorted(found.items())]


def run(opts: Any, args: argparse.Namespace) -> int:
    import json

    from compose.cli.render import table
    from compose.errors import UsageError
    from runtime.api.containers import Containers

    names: set[str] = set()
    for item in args.filter:
        key, sep, value = item.partition("=")
        if key != "name" or not sep:
            raise UsageError(f"invalid filter {item!r}: only name=NAME is supported")
        names.add(value)
    rows = [p for p in projects(Containers()) if (args.all or p["running"] == "True")
            and (not names or any(n in p["Name"] for n in names))]
    for p in rows:
        del p["running"]
    if args.quiet:
        print("".join(p["Name"] + "\n" for p in rows), end="")
    elif args.format == "json":
        print(json.dumps(rows))
    else:
        print(table(COLUMNS, [[p["Name"], p["Status"], p["ConfigFiles"]] for p in rows]), end="")
    return 0
