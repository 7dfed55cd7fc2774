"""``pycompose top``: the processes of each running container, under its name."""

from __future__ import annotations

import argparse
from typing import Any

COLUMNS = ("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")


def process_row(pid: int, cmd: str) -> list[str]:
    """``ps -ef`` columns of one host process, as ``docker top`` shows them."""
    import os
    import pwd
    import time

    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return [""] * 7 + [cmd]
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) // ticks
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    started = time.time() - uptime + int(fields[19]) / ticks
    stime = time.strftime("%H:%M" if time.time() - started < 86400 else "%b%d", time.localtime(started))
    tty_nr = int(fields[4])
    tty = "?" if tty_nr == 0 else f"pts/{tty_nr & 0xff}"
    return [user, str(pid), fields[1], "0", stime, tty, f"{cpu // 3600:02d}:{cpu // 60 % 60:02d}:{cpu % 60:02d}",
            cmd]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.render import table
    from compose.cli.targets import open_target

    target = open_target(opts)
    api = target.rt.containers
    blocks = []
    for c in sorted(target.containers(args.services, running_only=True, oneoff=None), key=lambda c: c.name):
        rows = [process_row(pid, cmd) for pid, cmd in sorted(api.top(c.id))]
        blocks.append(f"{c.name}\n" + table(COLUMNS, rows))
    print("\n".join(blocks), end="")
    return 0
