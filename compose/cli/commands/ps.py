"""``pycompose ps``: the project's containers (running ones, all with ``-a``).

``--format json`` prints one object per line with Docker Compose's field names; ``--format``
also takes a Go-template-like ``{{.Field}}`` pattern (``table`` prefix for a header row).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

STATES = ("paused", "restarting", "removing", "running", "dead", "created", "exited")
COLUMNS = ("NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS")
FIELD = re.compile(r"\{\{\s*(?:json\s+)?\.(\w+)\s*\}\}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.add_argument("-a", "--all", action="store_true",
                        help="Show all stopped containers (including those created by the run command)")
    parser.add_argument("-q", "--quiet", action="store_true", help="Only display IDs")
    parser.add_argument("--services", dest="list_services", action="store_true", help="Display services")
    parser.add_argument("--status", action="append", default=[], choices=STATES,
                        help="Filter services by status")
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                        help="Filter services by a property (supported filters: status)")
    parser.add_argument("--format", default="table",
                        help="Format the output: table (default), json, or a {{.Field}} template")
    parser.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    parser.add_argument("--orphans", default="true", choices=("true", "false"),
                        help="Include orphaned services (not declared by project)")


def _statuses(args: argparse.Namespace) -> set[str]:
    from compose.errors import UsageError

    wanted = set(args.status)
    for item in args.filter:
        key, sep, value = item.partition("=")
        if not sep or key != "status":
            raise UsageError(f"invalid filter {item!r}: only status=STATE is supported")
        if value not in STATES:
            raise UsageError(f"invalid filter 'status={value}' (valid: {', '.join(STATES)})")
        wanted.add(value)
    return wanted


def summary(target: Any, c: Any) -> dict[str, Any]:
    """Docker Compose's ``ContainerSummary`` fields of one container."""
    from compose.cli.render import ago, parse_time, quoted_command

    rt = target.rt
    info = rt.containers.get(c.id)
    record = info.record
    ports = rt.networks.published(c.id)
    endpoint = rt.networks.endpoint(c.id)
    networks = sorted(a.network_name for a in endpoint.attachments) if endpoint else []
    volumes = [m.source for m in record.spec.mounts if m.type == "bind" and rt.volumes.name_of(m.source)]
    created = parse_time(record.created) or 0
    return {
        "Command": quoted_command(record.spec.process.args, None),
        "CreatedAt": record.created,
        "ExitCode": info.state.exit_code,
        "Health": c.health,
        "ID": c.id,
        "Image": record.image,
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(c.labels.items())),
        "LocalVolumes": str(len(volumes)),
        "Mounts": ",".join(rt.volumes.name_of(v) or v for v in volumes),
        "Name": c.name,
        "Names": c.name,
        "Networks": ",".join(networks),
        "Ports": ", ".join(p.render() for p in ports),
        "Project": target.project,
        "Publishers": [{"URL": p.host_ip or "0.0.0.0", "TargetPort": p.container_port,
                        "PublishedPort": p.host_port, "Protocol": p.protocol} for p in ports],
        "RunningFor": ago(record.created),
        "Service": c.service,
        "Size": "0B",
        "State": c.status,
        "Status": info.status_text,
        "Created": int(created),
    }


def _row(s: dict[str, Any], no_trunc: bool) -> list[str]:
    import json

    command = json.loads(s["Command"]) if s["Command"] else ""
    if not no_trunc and len(command) > 20:
        command = command[:19] + "…"
    return [s["Name"], s["Image"], json.dumps(command, ensure_ascii=False), s["Service"],
            s["RunningFor"], s["Status"], s["Ports"]]


def _template(fmt: str, rows: list[dict[str, Any]]) -> str:
    import json

    header = fmt.startswith("table ")
    body = fmt[6:] if header else fmt
    body = body.replace("\\t", "\t")

    def fill(s: dict[str, Any]) -> str:
        def one(m: re.Match[str]) -> str:
            value = s.get(m.group(1), "")
            return json.dumps(value) if m.group(0).lstrip("{ ").startswith("json") else str(value)

        return FIELD.sub(one, body)

    lines = [FIELD.sub(lambda m: m.group(1).upper(), body)] if header else []
    lines += [fill(s) for s in rows]
    return "".join(line + "\n" for line in lines)


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.render import json_lines, table
    from compose.cli.targets import open_target

    target = open_target(opts)
    statuses = _statuses(args)
    found = target.containers(args.services, oneoff=None if args.all else False)  # run's only with -a
    if args.orphans == "false" and target.session is not None:
        declared = set(target.known_services)
        found = [c for c in found if c.service in declared]
    if statuses:
        found = [c for c in found if c.status in statuses]
    elif not args.all:
        found = [c for c in found if c.active]
    found.sort(key=lambda c: c.name)
    out = sys.stdout
    if args.list_services:
        seen = dict.fromkeys(c.service for c in found)
        out.write("".join(f"{s}\n" for s in seen))
        return 0
    if args.quiet:
        out.write("".join(f"{c.id}\n" for c in found))
        return 0
    rows = [summary(target, c) for c in found]
    if args.format == "json":
        out.write(json_lines(rows))
    elif args.format == "table":
        out.write(table(COLUMNS, [_row(s, args.no_trunc) for s in rows]))
    else:
        out.write(_template(args.format, rows))
    return 0
