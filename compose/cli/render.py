"""Output shapes shared by the commands: Docker's tables, ``X ago`` times, JSON lines, colours.

Tables follow the Docker CLI's tabwriter (minimum cell width 10, padding 3, last column
unpadded); times follow go-units' ``HumanDuration``. Nothing here reads the runtime.
"""

from __future__ import annotations

import calendar
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

MIN_WIDTH = 10
PADDING = 3


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows under ``headers``, columns aligned as ``docker ps`` aligns them."""
    body = [list(headers)] + [[str(c) for c in row] for row in rows]
    widths = [max(MIN_WIDTH, max(len(r[i]) for r in body) + PADDING) for i in range(len(headers))]
    lines = []
    for row in body:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def json_lines(objects: Iterable[Any]) -> str:
    """One compact JSON document per line (Docker Compose's ``--format json``)."""
    return "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in objects)


def parse_time(stamp: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 UTC stamp (``...Z``); None when empty."""
    if not stamp or stamp.startswith("0001-"):
        return None
    head, _, frac = stamp.rstrip("Z").partition(".")
    try:
        return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """go-units ``HumanDuration``: ``Less than a second``, ``5 seconds``, ``About a minute``, ..."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def ago(stamp: str, now: float | None = None) -> str:
    then = parse_time(stamp)
    if then is None:
        return ""
    return human_duration(max(0.0, (time.time() if now is None else now) - then)) + " ago"


def quoted_command(args: Sequence[str], limit: int | None = 20) -> str:
    """``docker ps``'s COMMAND: the command line, quoted, cut with ``…`` beyond ``limit``."""
    text = " ".join(args)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def use_color(ansi: str, out: TextIO | None = None) -> bool:
    """``--ansi never|always|auto`` (auto: a terminal, and ``NO_COLOR`` unset)."""
    if ansi == "always":
        return True
    if ansi == "never" or os.environ.get("NO_COLOR"):
        return False
    stream = out or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def bytes_human(n: float) -> str:
    """go-units ``BytesSize`` (binary units): ``1.5MiB``."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{n:.4g}{units[i]}"


def size_human(n: float) -> str:
    """go-units ``HumanSize`` (decimal units), as ``docker images`` shows SIZE: ``123MB``."""
    units = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    i = 0
    while n >= 1000 and i < len(units) - 1:
        n /= 1000
        i += 1
    text = f"{n:.3g}"
    if "e" in text:  # 999.6 rounds to "1e+03": print it whole, as go-units does
        text = f"{n:.0f}"
    return f"{text}{units[i]}"


__all__ = ["ago", "bytes_human", "human_duration", "json_lines", "parse_time", "quoted_command", "size_human",
           "table", "use_color"]
