"""``pycompose network create|ls|inspect|rm|prune``: Docker's network commands, for the
networks compose projects use (and ``external: true`` ones made beforehand)."""

from __future__ import annotations

import argparse
import json
import sys

SUBCOMMANDS = ("create", "ls", "list", "inspect", "rm", "remove", "prune")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="COMMAND", required=True)
    c = sub.add_parser("create", help="Create a network")
    c.add_argument("name")
    c.add_argument("-d", "--driver", default="bridge", help="Driver to manage the network (bridge)")
    c.add_argument("--internal", action="store_true", help="Restrict external access to the network")
    c.add_argument("--attachable", action="store_true", help="Enable manual container attachment")
    c.add_argument("--ipv6", action="store_true", help="Enable IPv6 networking")
    c.add_argument("--subnet", action="append", default=[], help="Subnet in CIDR format")
    c.add_argument("--gateway", action="append", default=[], help="Gateway for the subnet (in order)")
    c.add_argument("--ip-range", action="append", default=[], help="Allocate container IPs from a sub-range")
    c.add_argument("--aux-address", action="append", default=[], metavar="NAME=IP",
                   help="Auxiliary addresses reserved in the subnet")
    c.add_argument("--label", action="append", default=[], metavar="KEY=VALUE", help="Network metadata")
    c.add_argument("-o", "--opt", action="append", default=[], metavar="KEY=VALUE", help="Driver options")
    ls = sub.add_parser("ls", aliases=["list"], help="List networks")
    ls.add_argument("-q", "--quiet", action="store_true", help="Only display network IDs")
    ls.add_argument("-f", "--filter", action="append", default=[], help="Filter (name=, label=, driver=, id=)")
    ls.add_argument("--no-trunc", action="store_true", help="Do not truncate the output")
    ls.add_argument("--format", default="", help="'json' for one JSON object per line")
    i = sub.add_parser("inspect", help="Display detailed information on one or more networks")
    i.add_argument("names", nargs="+")
    rm = sub.add_parser("rm", aliases=["remove"], help="Remove one or more networks")
    rm.add_argument("names", nargs="+")
    p = sub.add_parser("prune", help="Remove all unused networks")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument("--filter", action="append", default=[], help="Filter (label=KEY[=VALUE])")


def _pairs(items: list[str], what: str) -> tuple[tuple[str, str], ...]:
    from runtime.api import RuntimeFailure

    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not key or (what == "aux-address" and not sep):
            raise RuntimeFailure(f"invalid {what} {item!r}: expected KEY=VALUE")
        out.append((key, value))
    return tuple(out)


def _create(nets, args: argparse.Namespace) -> int:
    from runtime.api import RuntimeFailure
    from runtime.api.networks import IpamRequest, NetworkSpec

    if len(args.gateway) > len(args.subnet) or len(args.ip_range) > len(args.subnet):
        raise RuntimeFailure("every --gateway and --ip-range needs a --subnet")
    aux = _pairs(args.aux_address, "aux-address")
    ipam = tuple(
        IpamRequest(subnet=subnet, gateway=args.gateway[i] if i < len(args.gateway) else None,
                    ip_range=args.ip_range[i] if i < len(args.ip_range) else None,
                    aux_addresses=tuple((k, v) for k, v in aux if _inside(v, subnet)))
        for i, subnet in enumerate(args.subnet))
    rec = nets.create(NetworkSpec(args.name, driver=args.driver, internal=args.internal, attachable=args.attachable,
                                  enable_ipv6=args.ipv6, labels=_pairs(args.label, "label"),
                                  driver_opts=_pairs(args.opt, "opt"), ipam=ipam))
    print(rec.id)
    return 0


def _inside(address: str, subnet: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return True  # let IPAM report the bad value


def _matches(rec, filters: list[str]) -> bool:
    labels = dict(rec.labels)
    for f in filters:
        key, _, value = f.partition("=")
        if key == "name" and value not in rec.name:
            return False
        if key == "id" and not rec.id.startswith(value):
            return False
        if key == "driver" and rec.driver != value:
            return False
        if key == "label":
            k, sep, v = value.partition("=")
            if k not in labels or (sep and labels[k] != v):
                return False
    return True


def _ls(nets, args: argparse.Namespace) -> int:
    records = [r for r in nets.list() if _matches(r, args.filter)]
    if args.quiet:
        for r in records:
            print(r.id if args.no_trunc else r.id[:12])
        return 0
    if args.format == "json":
        for r in records:
            print(json.dumps({"ID": r.id[:12], "Name": r.name, "Driver": r.driver, "Scope": "local",
                              "IPv6": str(r.enable_ipv6).lower(), "Internal": str(r.internal).lower(),
                              "Labels": ",".join(f"{k}={v}" for k, v in r.labels)}))
        return 0
    rows = [("NETWORK ID", "NAME", "DRIVER", "SCOPE")]
    rows += [(r.id if args.no_trunc else r.id[:12], r.name, r.driver, "local") for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("   ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "   " + row[3])
    return 0


def run(opts: object, args: argparse.Namespace) -> int:
    from runtime.api import NotFound, PyComposeError
    from runtime.api.networks import Networks

    nets = Networks()
    action = {"list": "ls", "remove": "rm"}.get(args.action, args.action)
    if action == "create":
        return _create(nets, args)
    if action == "ls":
        return _ls(nets, args)
    if action == "inspect":
        found, missing = [], []
        for name in args.names:
            try:
                found.append(nets.inspect(name))
            except NotFound:
                missing.append(name)
        print(json.dumps(found, indent=4))
        if missing:
            raise NotFound(f"network {', '.join(missing)} not found")
        return 0
    if action == "rm":
        failed: list[PyComposeError] = []
        for name in args.names:
            try:
                nets.remove(name)
                print(name)
            except PyComposeError as exc:
                failed.append(exc)
        if failed:
            raise ExceptionGroup("network rm", failed)
        return 0
    if action == "prune":
        if not args.force:
            sys.stdout.write("WARNING! This will remove all custom networks not used by at least one container.\n"
                             "Are you sure you want to continue? [y/N] ")
            sys.stdout.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                return 0
        labels = tuple(f.partition("=")[2] for f in args.filter if f.startswith("label="))
        removed = nets.prune(labels)
        if removed:
            print("Deleted Networks:")
            for name in removed:
                print(name)
        return 0
    raise AssertionError(action)
