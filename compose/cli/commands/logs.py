"""``pycompose logs``: the output of the services' containers, ``name  | `` prefixed.

Without ``-f`` the json-file logs are read whole and decoded in one ``json.loads`` call (the
writer puts one object per line), then merged across containers by time and written at once:
50 MB of logs take well under a second. With ``-f`` each container is followed in a thread
until it has stopped for good.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

RELATIVE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
COLORS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-f", "--follow", action="store_true", help="Follow log output")
    parser.add_argument("-n", "--tail", default="all", metavar="N",
                        help='Number of lines to show from the end of the logs for each container ("all")')
    parser.add_argument("-t", "--timestamps", action="store_true", help="Show timestamps")
    parser.add_argument("--since", default="", metavar="TIME",
                        help="Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)")
    parser.add_argument("--until", default="", metavar="TIME",
                        help="Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)")
    parser.add_argument("--no-color", action="store_true", help="Produce monochrome output")
    parser.add_argument("--no-log-prefix", action="store_true", help="Don't print prefix in logs")
    parser.add_argument("--index", type=int, default=0, metavar="N",
                        help="index of the container if service has multiple replicas")


def parse_when(value: str, now: float | None = None) -> str:
    """``--since``/``--until`` as a log time stamp (RFC 3339, nanoseconds, UTC), for comparing."""
    from compose.errors import UsageError

    if not value:
        return ""
    now = time.time() if now is None else now
    if re.fullmatch(r"\d+(\.\d+)?", value):
        epoch = float(value)
    elif RELATIVE.fullmatch(value) or re.fullmatch(rf"(?:{RELATIVE.pattern})+", value):
        epoch = now - sum(float(n) * UNIT_SECONDS[u] for n, u in RELATIVE.findall(value))
    else:
        exact = _rfc3339(value)
        if exact is None:
            raise UsageError(f'invalid value for "since"/"until": {value!r} (a timestamp like '
                             "2013-01-02T13:23:37Z, a Unix time or a duration like 42m)")
        secs, nanos = exact
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{nanos:09d}Z"
    return _stamp(epoch)


RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d)?)(?:\.(\d+))?)?(Z|[+-]\d\d:?\d\d)?")


def _rfc3339(value: str) -> tuple[int, int] | None:
    """(seconds, nanoseconds) of an RFC 3339 time (a date alone is midnight UTC), to the nanosecond."""
    from datetime import datetime

    m = RFC3339.fullmatch(value.strip())
    if m is None:
        return None
    day, clock, frac, zone = m.groups()
    clock = clock or "00:00:00"
    if clock.count(":") == 1:
        clock += ":00"
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        when = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None
    return int(when.timestamp()), int((frac or "0")[:9].ljust(9, "0"))


def _stamp(epoch: float) -> str:
    ns = round(epoch * 1e9)
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def log_files(path: Path) -> list[Path]:
    """The json-file log and its rotated parts (``path.N`` … ``path.1``), oldest first."""
    rotated = [p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()]
    rotated.sort(key=lambda p: -int(p.suffix[1:]))
    return rotated + ([path] if path.exists() else [])


def decode(data: bytes) -> list[dict[str, str]]:
    """json-file lines -> entries; one ``json.loads`` for the whole, line by line if damaged."""
    end = data.rfind(b"\n")
    if end < 0:
        return []
    body = data[:end]
    if not body:
        return []
    try:
        return json.loads(b"[" + body.replace(b"\n", b",") + b"]")
    except ValueError:
        out = []
        for line in body.split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


# The runtime's json-file layout: {"log":"<text>","stream":"stdout","time":"<30 characters>"}
HEAD = b'{"log":"'


BOUNDARY = re.compile(rb'","stream":"std(?:out|err)","time":"[^"]*"\}\n\{"log":"')
LAST = re.compile(rb'","stream":"std(?:out|err)","time":"[^"]*"\}')
ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{4}|[\"/bfnrt])")
ESCAPED = {b'"': b'"', b"/": b"/", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t"}


def _unescape(m: re.Match[bytes]) -> bytes:
    code = m.group(1)
    return chr(int(code[1:], 16)).encode() if len(code) == 5 else ESCAPED[code]


def render_fast(data: bytes, head: bytes, *, timestamps: bool, tail: int | None) -> bytes | None:
    """The printed lines of one container's json-file log, made by a few passes over the whole
    buffer (no object per line); None when the log is not only in the runtime's own layout or
    holds what these passes cannot unescape (then the general path decodes it).

    In JSON text a raw ``"`` is never part of a string, so the layout's separators are found by
    plain search; a text's escapes other than its final ``\\n`` are rare and undone one by one.
    """
    body = data[: max(data.rfind(b"\n"), 0)]
    if tail is not None:
        if tail <= 0:
            return b""
        parts = body.rsplit(b"\n", tail)
        body = b"\n".join(parts[-tail:])
    if not body:
        return b""
    if timestamps or b"\\\\" in body or re.search(rb"\\u[dD][89a-fA-F]", body):
        return None
    lines = body.count(b"\n") + 1
    if not body.startswith(HEAD) or body.count(HEAD) != lines:
        return None
    out, joined = BOUNDARY.subn(b"\n" + head.replace(b"\\", b"\\\\"), body)
    cut = out.rfind(b'","stream":"std')
    if joined != lines - 1 or cut < 0 or not LAST.fullmatch(out, cut):
        return None
    out = out[:cut]
    out = head + out[len(HEAD):] + b"\n"
    out = out.replace(b"\\n\n", b"\n")
    if b"\\" in out:
        out = ESCAPE.sub(_unescape, out)
    return out


def read_entries(path: Path, tail: int | None, since: str, until: str) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    for file in log_files(path):
        try:
            entries.extend(decode(file.read_bytes()))
        except FileNotFoundError:
            continue  # rotated away while we read
    if since or until:
        entries = [e for e in entries if (not since or e.get("time", "") >= since)
                   and (not until or e.get("time", "") <= until)]
    if tail is not None:
        entries = entries[-tail:] if tail > 0 else []
    return entries


class Printer:
    """``name  | `` prefixes (coloured per container), optional time stamps."""

    def __init__(self, names: list[str], *, color: bool, prefix: bool, timestamps: bool) -> None:
        import threading

        width = max((len(n) for n in names), default=0) + 1  # Docker Compose pads one more
        self.heads: dict[str, str] = {}
        for i, name in enumerate(names):
            label = f"{name:<{width}} | " if prefix else ""
            self.heads[name] = f"\x1b[{COLORS[i % len(COLORS)]}m{label}\x1b[0m" if color and label else label
        self.timestamps = timestamps
        self.lock = threading.Lock()

    def format(self, name: str, text: str, stamp: str) -> str:
        head = self.heads[name]
        if self.timestamps:
            head = f"{head}{stamp} "
        return head + (text[:-1] if text.endswith("\n") else text) + "\n"

    def write_now(self, text: str) -> None:
        with self.lock:
            sys.stdout.write(text)
            sys.stdout.flush()


def _dump(printer: Printer, per_container: list[tuple[str, list[dict[str, str]]]]) -> None:
    out = sys.stdout
    if len(per_container) == 1:
        name, entries = per_container[0]
        head = printer.heads[name]
        if printer.timestamps:
            lines = [f"{head}{e['time']} {e['log'].removesuffix(chr(10))}\n" for e in entries]
        else:
            lines = [f"{head}{e['log'].removesuffix(chr(10))}\n" for e in entries]
        out.write("".join(lines))
        return
    import heapq

    streams = [[(e.get("time", ""), i, name, e) for e in entries]
               for i, (name, entries) in enumerate(per_container)]
    fmt = printer.format
    out.write("".join(fmt(name, e.get("log", ""), stamp) for stamp, _i, name, e in heapq.merge(*streams)))


def _fast_one(path: Path, printer: Printer, name: str, tail: int | None) -> bytes | None:
    data = b"".join(f.read_bytes() for f in log_files(path))
    return render_fast(data, printer.heads[name].encode(), timestamps=printer.timestamps, tail=tail)


def _follow(target: Any, containers: list[Any], printer: Printer, tail: int | None, since: str, until: str) -> None:
    import threading

    api = target.rt.containers

    def follow_one(c: Any) -> None:
        def emit(entry: Any) -> None:
            if (since and entry.time < since) or (until and entry.time > until):
                return
            printer.write_now(printer.format(c.log_name, entry.text, entry.time))

        api.follow_logs(c.id, emit, tail=tail, poll=0.1)

    threads = [threading.Thread(target=follow_one, args=(c,), daemon=True) for c in containers]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.render import use_color
    from compose.cli.targets import open_target
    from compose.errors import UsageError

    if args.tail in ("all", "-1", ""):
        tail = None
    elif args.tail.isdigit():
        tail = int(args.tail)
    else:
        raise UsageError(f"invalid --tail value {args.tail!r}: a number of lines or 'all'")
    since, until = parse_when(args.since), parse_when(args.until)
    target = open_target(opts)
    containers = target.containers(args.services, index=args.index or None)
    if args.index and not containers:
        raise UsageError(f"no container #{args.index} for service(s) {', '.join(args.services) or 'any'}")
    printer = Printer([c.log_name for c in containers], color=use_color(opts.ansi) and not args.no_color,
                      prefix=not args.no_log_prefix, timestamps=args.timestamps)
    if args.follow:
        _follow(target, containers, printer, tail, since, until)
        return 0
    store = target.rt.containers.store
    if len(containers) == 1 and not (since or until):
        text = _fast_one(store.log_path(containers[0].id), printer, containers[0].log_name, tail)
        if text is not None:
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
            return 0
    per_container = [(c.log_name, read_entries(store.log_path(c.id), tail, since, until)) for c in containers]
    _dump(printer, per_container)
    sys.stdout.flush()
    return 0
