"""``pycompose stats``: CPU, memory, network, block I/O and PIDs of the services' containers.

Figures come from the kernel's per-process accounting of each container's processes (the
processes of its cgroup): CPU time over a sampling interval, resident memory, the network
namespace's interface counters, and bytes read and written. Without ``--no-stream`` the
table is redrawn every second until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

COLUMNS = ("CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS")
INTERVAL = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-a", "--all", action="store_true", help="Show all containers (default shows just running)")
    parser.add_argument("--no-stream", action="store_true",
                        help="Disable streaming stats and only pull the first result")
    parser.add_argument("--no-trunc", action="store_true", help="Do not truncate output")
    parser.add_argument("--format", default="table", help="Format output using table or json")


@dataclass(frozen=True)
class Sample:
    cpu_ticks: int = 0
    rss: int = 0
    rx: int = 0
    tx: int = 0
    read: int = 0
    written: int = 0
    pids: int = 0


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def sample(pids: list[int]) -> Sample:
    page = os.sysconf("SC_PAGE_SIZE")
    cpu = rss = read = written = 0
    for pid in pids:
        stat = _read(f"/proc/{pid}/stat").rpartition(")")[2].split()
        if len(stat) > 13:
            cpu += int(stat[11]) + int(stat[12])
        statm = _read(f"/proc/{pid}/statm").split()
        if len(statm) > 1:
            rss += int(statm[1]) * page
        for line in _read(f"/proc/{pid}/io").splitlines():
            key, _, value = line.partition(": ")
            if key == "read_bytes":
                read += int(value)
            elif key == "write_bytes":
                written += int(value)
    rx = tx = 0
    if pids:
        for line in _read(f"/proc/{pids[0]}/net/dev").splitlines()[2:]:
            name, _, rest = line.partition(":")
            fields = rest.split()
            if name.strip() != "lo" and len(fields) > 8:
                rx += int(fields[0])
                tx += int(fields[8])
    return Sample(cpu, rss, rx, tx, read, written, len(pids))


def _mem_total() -> int:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(api: Any, containers: list[Any], interval: float) -> list[dict[str, Any]]:
    """One row per container (objects with ``id`` and ``name``; ``api``: the runtime's containers):
    ``docker stats``' fields, as its JSON format names them."""
    from compose.cli.render import bytes_human, size_human

    def pids_of(cid: str) -> list[int]:
        try:
            return sorted(pid for pid, _cmd in api.top(cid))
        except Exception:  # stopped or gone in the meantime: no processes
            return []

    first = {c.id: sample(pids_of(c.id)) for c in containers}
    start = time.monotonic()
    if interval:
        time.sleep(interval)
    elapsed = max(time.monotonic() - start, 1e-6)
    ticks = os.sysconf("SC_CLK_TCK")
    total = _mem_total()
    rows = []
    for c in containers:
        now = sample(pids_of(c.id))
        limit = api.get(c.id).record.spec.resources.memory or total
        cpu = max(0, now.cpu_ticks - first[c.id].cpu_ticks) / ticks / elapsed * 100
        mem_pct = now.rss / limit * 100 if limit else 0.0
        rows.append({
            "ID": c.id[:12], "Container": c.id[:12], "Name": c.name, "CPUPerc": f"{cpu:.2f}%",
            "MemUsage": f"{bytes_human(now.rss)} / {bytes_human(limit)}", "MemPerc": f"{mem_pct:.2f}%",
            "NetIO": f"{size_human(now.rx)} / {size_human(now.tx)}",
            "BlockIO": f"{size_human(now.read)} / {size_human(now.written)}", "PIDs": str(now.pids),
        })
    return rows


def render_rows(rows: list[dict[str, Any]], fmt: str | None) -> str:
    """``--format``: ``table`` (default), ``json`` (one object a line), ``table TEMPLATE``, ``TEMPLATE``."""
    from compose.cli.render import json_lines, table

    if fmt == "json":
        return json_lines(rows)
    if fmt and fmt != "table":
        import contextlib
        import io

        from compose.cli.commands.image import print_formatted

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            print_formatted(rows, fmt, [])
        return out.getvalue()
    keys = ("ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs")
    return str(table(COLUMNS, [[r[k] for k in keys] for r in rows]))


def show(api: Any, found: list[Any], *, no_stream: bool, no_trunc: bool, fmt: str | None) -> int:
    """Print the figures of ``found`` once (``no_stream``) or redrawn every second until Ctrl-C."""
    while True:
        rows = measure(api, found, INTERVAL)
        if no_trunc:
            for row, c in zip(rows, found, strict=True):
                row["ID"] = row["Container"] = c.id
        text = render_rows(rows, fmt)
        if no_stream:
            sys.stdout.write(text)
            return 0
        sys.stdout.write("\x1b[2J\x1b[H" + text)
        sys.stdout.flush()


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target

    target = open_target(opts)
    found = sorted(target.containers(args.services, running_only=not args.all, oneoff=None), key=lambda c: c.name)
    return show(target.rt.containers, found, no_stream=args.no_stream, no_trunc=args.no_trunc, fmt=args.format)
