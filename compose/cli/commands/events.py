"""``pycompose events``: the project's container events as they happen (``--json``: one object a line).

There is no daemon to push events, so the project's containers are watched: each change of a
container between two looks becomes Docker's events (create, start, die, pause, unpause,
destroy, health_status). A container that started and died between two looks still gives
both events, from its start time and exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

POLL = 0.1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("--json", action="store_true", help="Output events as a stream of json objects")
    parser.add_argument("--since", default="", help="Show all events created since timestamp (not supported)")
    parser.add_argument("--until", default="", help="Stream events until this timestamp (not supported)")


def changes(before: dict[str, Any], after: dict[str, Any]) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """(container view, action, extra attributes) for what differs between two looks."""
    for cid, c in after.items():
        old = before.get(cid)
        if old is None:
            yield c, "create", {}
            if c.started_at:
                yield c, "start", {}
            if c.started_at and c.status == "exited":
                yield c, "die", {"exitCode": str(c.exit_code)}
            continue
        if c.started_at != old.started_at and c.started_at:
            if old.status in ("running", "paused", "restarting"):
                yield c, "die", {"exitCode": str(old.exit_code)}
            yield c, "start", {}
            if c.status == "exited":
                yield c, "die", {"exitCode": str(c.exit_code)}
        elif old.status != c.status:
            if c.status == "paused":
                yield c, "pause", {}
            elif old.status == "paused" and c.status == "running":
                yield c, "unpause", {}
            elif c.status == "exited" and old.status in ("running", "paused", "restarting"):
                yield c, "die", {"exitCode": str(c.exit_code)}
        if c.health and c.health != old.health and c.health != "starting":
            yield c, f"health_status: {c.health}", {}
    for cid, c in before.items():
        if cid not in after:
            if c.status in ("running", "paused", "restarting"):
                yield c, "die", {}  # killed and removed between two looks: its exit code is gone with it
            yield c, "destroy", {}


def render(c: Any, action: str, extra: dict[str, str], as_json: bool, stamp: str) -> str:
    attributes = {"image": c.labels.get("com.docker.compose.image", c.image_id), "name": c.name, **extra}
    if as_json:
        return json.dumps({"time": stamp, "type": "container", "action": action, "id": c.id, "service": c.service,
                           "attributes": attributes}, separators=(",", ":"))
    attrs = ", ".join(f"{k}={v}" for k, v in sorted(attributes.items()))
    return f"{stamp} container {action} {c.id} ({attrs})"


def _stamp() -> str:
    ns = time.time_ns()
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target

    target = open_target(opts)
    target.check_services(args.services)
    wanted = set(args.services)

    def look() -> dict[str, Any]:
        return {c.id: c for c in target.read().containers if not wanted or c.service in wanted}

    before = look()
    while True:
        time.sleep(POLL)
        after = look()
        lines = [render(c, action, extra, args.json, _stamp()) for c, action, extra in changes(before, after)]
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        before = after
