"""``pycompose image load|save|import|ls|inspect|tag|rm|prune|history``, shaped like ``docker image``.

Everything goes through ``runtime.api.images``; heavy imports stay inside functions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from compose.cli.render import human_duration
from compose.cli.render import size_human as human_size

SUBCOMMANDS = ("pull", "push", "search", "load", "save", "import", "ls", "list", "inspect", "tag", "rm", "remove",
               "prune", "history", "build")


# -- formatting, as Docker's CLI does it ------------------------------------------------


def _epoch(created: str) -> float:
    from runtime.images.filters import created_epoch

    return created_epoch(created)


def created_since(created: str) -> str:
    stamp = _epoch(created)
    if stamp <= 0:
        return "N/A"
    return human_duration(time.time() - stamp) + " ago"


def created_at(created: str) -> str:
    stamp = _epoch(created)
    return time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(stamp))


_FIELD = re.compile(r"\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*\}\}")


def go_value(value: Any) -> str:
    """A value as Go's ``fmt`` prints it in a template: ``[a b]``, ``map[k:v]``, ``<no value>``."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def render_template(template: str, row: dict[str, Any]) -> str:
    """The subset of Go templates ``--format`` needs: ``{{.Field}}``, ``{{json .}}``, ``{{json .Field}}``."""

    def value(match: re.Match[str]) -> str:
        as_json, path = match.group(1), match.group(2)
        current: Any = row
        for part in filter(None, path.split(".")):
            current = current.get(part) if isinstance(current, dict) else None
        if as_json:
            return json.dumps(current, separators=(",", ":"))
        return go_value(current)

    return _FIELD.sub(value, template.replace("\\t", "\t").replace("\\n", "\n"))


def print_table(rows: Sequence[Sequence[str]], out: Any = None) -> None:
    """Docker's tabwriter: columns at least 10 wide, 3 spaces of padding, the last unpadded."""
    out = out or sys.stdout
    if not rows:
        return
    widths = [max(max(len(r[i]) for r in rows) + 3, 10) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)] + [row[-1]]
        print("".join(cells).rstrip(), file=out)


def print_formatted(rows: list[dict[str, Any]], fmt: str | None, header: list[tuple[str, str]]) -> None:
    """``--format``: ``table`` (default), ``json`` (one object a line), ``table TEMPLATE``, ``TEMPLATE``."""
    if fmt == "json":
        for row in rows:
            print(json.dumps(row, separators=(",", ":")))
        return
    if fmt and fmt.startswith("table "):
        template = fmt[len("table "):]
        names = dict(header)
        head = _FIELD.sub(lambda m: names.get(m.group(2), m.group(2).upper()), template.replace("\\t", "\t"))
        lines = [head] + [render_template(template, r) for r in rows]
        print_table([line.split("\t") for line in lines])
        return
    if fmt:
        for row in rows:
            print(render_template(fmt, row))
        return
    print_table([[title for _key, title in header]] + [[str(r[key]) for key, _title in header] for r in rows])


# -- arguments ------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """A subcommand parser whose errors are one line and exit code 1, like the rest of the CLI."""

    def error(self, message: str):  # type: ignore[no-untyped-def]
        from compose.errors import UsageError

        raise UsageError(f"{self.prog.removeprefix('pycompose ')}: {message}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True, parser_class=_Parser)
    from compose.cli.commands import image_build

    image_build.add_parser(sub)
    p = sub.add_parser("pull", help="Download an image from a registry")
    p.add_argument("--platform", default=None, help="Set platform if server is multi-platform capable")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument("--progress", choices=("auto", "tty", "plain", "json", "quiet"), default="auto",
                   help="Set type of progress output")
    p.add_argument("-a", "--all-tags", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("image", metavar="NAME[:TAG|@DIGEST]")
    p = sub.add_parser("push", help="Upload an image to a registry")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress verbose output")
    p.add_argument("-a", "--all-tags", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("image", metavar="NAME[:TAG]")
    p = sub.add_parser("search", help="Search Docker Hub (or HOST/TERM: a registry's catalog) for images")
    p.add_argument("term", metavar="TERM")
    p.add_argument("--limit", type=int, default=25, help="Max number of search results")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("--format", help="Pretty-print search using a Go template")
    p.add_argument("-f", "--filter", action="append", default=[], help="Filter output (stars=N, is-official=true)")
    p = sub.add_parser("load", help="Load an image from a tar archive or STDIN")
    p.add_argument("-i", "--input", metavar="FILE", help="Read from tar archive file (or OCI layout directory)")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the load output")
    p.add_argument("--platform", help="Load only the given platform's variant (os[/arch[/variant]])")
    p = sub.add_parser("save", help="Save one or more images to a tar archive (streamed to STDOUT by default)")
    p.add_argument("-o", "--output", metavar="FILE", help="Write to a file, instead of STDOUT")
    p.add_argument("--platform", help="Accepted for compatibility; the stored variant is saved")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p = sub.add_parser("import", help="Import the contents from a tarball to create a filesystem image")
    p.add_argument("-c", "--change", action="append", default=[], help="Apply Dockerfile instruction to the image")
    p.add_argument("-m", "--message", default="", help="Set commit message for imported image")
    p.add_argument("--platform", help="Set platform if server is multi-platform capable")
    p.add_argument("file", metavar="file|-")
    p.add_argument("reference", nargs="?", metavar="REPOSITORY[:TAG]")
    for name in ("ls", "list"):
        p = sub.add_parser(name, help="List images")
        p.add_argument("repository", nargs="?", metavar="REPOSITORY[:TAG]")
        p.add_argument("-a", "--all", action="store_true", help="Show all images")
        p.add_argument("--digests", action="store_true", help="Show digests")
        p.add_argument("-f", "--filter", action="append", default=[], help="Filter output based on conditions")
        p.add_argument("--format", help="Format output: table, json, or a Go template")
        p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
        p.add_argument("-q", "--quiet", action="store_true", help="Only show image IDs")
    p = sub.add_parser("inspect", help="Display detailed information on one or more images")
    p.add_argument("-f", "--format", help="Format output using a Go template (subset) or json")
    p.add_argument("--platform", help="Inspect a specific platform of a multi-platform image")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p = sub.add_parser("tag", help="Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    p.add_argument("source", metavar="SOURCE_IMAGE[:TAG]")
    p.add_argument("target", metavar="TARGET_IMAGE[:TAG]")
    for name in ("rm", "remove"):
        p = sub.add_parser(name, help="Remove one or more images")
        p.add_argument("-f", "--force", action="store_true", help="Force removal of the image")
        p.add_argument("--no-prune", action="store_true", help="Accepted for compatibility")
        p.add_argument("images", nargs="+", metavar="IMAGE")
    p = sub.add_parser("prune", help="Remove unused images")
    p.add_argument("-a", "--all", action="store_true", help="Remove all unused images, not just dangling ones")
    p.add_argument("--filter", action="append", default=[], help="Provide filter values (e.g. 'until=<timestamp>')")
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p = sub.add_parser("history", help="Show the history of an image")
    p.add_argument("--format", help="Format output: table, json, or a Go template")
    p.add_argument("-H", "--human", action=argparse.BooleanOptionalAction, default=True,
                   help="Print sizes and dates in human readable format")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="Only show image IDs")
    p.add_argument("image", metavar="IMAGE")


def run(opts: object, args: argparse.Namespace) -> int:
    from runtime.api.images import ImageStore

    if args.subcommand == "search":
        return _search(args)
    if args.subcommand == "push":
        from compose.cli.commands.push import push_one

        push_one(args.image, quiet=args.quiet)
        return 0
    if args.subcommand == "build":
        from compose.cli.commands.image_build import cmd_build

        return cmd_build(args)
    store = ImageStore()
    handler: Callable[[Any, argparse.Namespace], int] = _HANDLERS[args.subcommand]
    return handler(store, args)


# -- subcommands ----------------------------------------------------------------------

class _Bar:
    """Progress on a terminal: one redrawn line per phase, as ``docker load`` draws it."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.label = ""

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self.label and self.label:
            self.out.write("\n")
        self.label = label
        width = 50
        filled = int(width * done / total) if total else width
        bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=") + " " * (width - filled)
        text = f"{label}  [{bar}]  {human_size(done)}/{human_size(total)}"
        self.out.write(f"\r{text}")
        self.out.flush()

    def close(self) -> None:
        if self.label:
            self.out.write("\n")
            self.out.flush()


def pull_one(ref: str, *, platform: str | None, mode: str, out: Any = None, registry: Any = None) -> Any:
    """Pull ``ref`` printing what ``docker pull`` prints; returns the outcome."""
    from compose.cli.pullprogress import PullProgress
    from runtime.api.registry import Registry

    out = out or sys.stdout
    progress = PullProgress(out, "quiet" if mode == "quiet" else mode)
    if ":" not in ref.rpartition("/")[2] and "@" not in ref:
        progress.message("Using default tag: latest")
    own = registry is None
    registry = registry or Registry()
    try:
        outcome = registry.pull_outcome(ref, platform=platform, progress=progress)
    finally:
        if own:
            registry.close()
    if "@" not in ref:
        progress.message(f"Digest: {outcome.digest}")
    if outcome.up_to_date:
        progress.message(f"Status: Image is up to date for {outcome.familiar}")
    else:
        progress.message(f"Status: Downloaded newer image for {outcome.familiar}")
    return outcome


def _pull(store: Any, args: argparse.Namespace) -> int:
    if args.all_tags:
        from compose.errors import UsageError

        raise UsageError("--all-tags is not supported; name one tag or digest")
    outcome = pull_one(args.image, platform=args.platform, mode="quiet" if args.quiet else args.progress)
    print(outcome.reference)
    return 0


def _load(store: Any, args: argparse.Namespace) -> int:
    bar = _Bar(sys.stdout) if sys.stdout.isatty() and not args.quiet else None
    try:
        if args.input:
            results = store.load(Path(args.input), platform=args.platform, progress=bar)
        else:
            if sys.stdin.isatty():
                from runtime.api.images import ImageError

                raise ImageError("requested load from stdin, but stdin is empty")
            results = store.load(sys.stdin.buffer, platform=args.platform, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    for result in results:
        if result.names:
            for name in result.names:
                print(f"Loaded image: {name}")
        else:
            print(f"Loaded image ID: {result.id}")
    return 0


def _save(store: Any, args: argparse.Namespace) -> int:
    if args.output:
        store.save(args.images, Path(args.output))
        return 0
    if sys.stdout.isatty():
        from runtime.api.images import ImageError

        raise ImageError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    store.save(args.images, sys.stdout.buffer)
    sys.stdout.buffer.flush()
    return 0


def _import(store: Any, args: argparse.Namespace) -> int:
    source = sys.stdin.buffer if args.file == "-" else Path(args.file)
    image = store.import_rootfs(source, args.reference, changes=args.change, message=args.message,
                                platform=args.platform)
    print(image.id)
    return 0


_LS_HEADER = [("Repository", "REPOSITORY"), ("Tag", "TAG"), ("ID", "IMAGE ID"), ("CreatedSince", "CREATED"),
              ("Size", "SIZE")]


def _build_cache_images(store: Any) -> set[str]:
    """The builder's intermediate images: hidden by ``ls`` without ``-a``, as Docker hides them."""
    from runtime.api.build import build_cache_images

    return build_cache_images(store.state)


def _ls(store: Any, args: argparse.Namespace) -> int:
    from runtime.images.filters import ImageFilter, parse_filters

    filters = parse_filters(args.filter)
    if args.repository:
        filters.setdefault("reference", []).append(args.repository)
    flt = ImageFilter.parse(filters, resolve=store.resolve)
    rows: list[dict[str, Any]] = []
    hidden = set() if args.all else _build_cache_images(store)
    for image in store.list():
        if not flt.matches(image) or (image.id in hidden and not image.tags):
            continue
        image_id = image.id if args.no_trunc else image.short_id
        digests = {d.partition("@")[0]: d.partition("@")[2] for d in image.repo_digests}
        names = [t.rpartition(":") for t in image.tags] or [("<none>", "", "<none>")]
        for repo, _sep, tag in names:
            patterns = filters.get("reference", [])
            if patterns and not any(_name_matches(p, repo, tag) for p in patterns):
                continue
            rows.append({
                "Containers": "N/A", "CreatedAt": created_at(image.created),
                "CreatedSince": created_since(image.created), "Digest": digests.get(repo, "<none>"),
                "ID": image_id, "Repository": repo, "SharedSize": "N/A", "Size": human_size(image.size),
                "Tag": tag, "UniqueSize": "N/A", "VirtualSize": human_size(image.size),
            })
    if args.quiet:
        seen: list[str] = []
        for row in rows:
            if row["ID"] not in seen:
                seen.append(row["ID"])
        for image_id in seen:
            print(image_id)
        return 0
    header = list(_LS_HEADER)
    if args.digests:
        header.insert(2, ("Digest", "DIGEST"))
    print_formatted(rows, args.format, header)
    return 0


def _name_matches(pattern: str, repo: str, tag: str) -> bool:
    """``image ls REPOSITORY[:TAG]`` shows only the rows of the names it matches."""
    from runtime.api.images import match_familiar, parse

    return repo != "<none>" and match_familiar(pattern, parse(f"{repo}:{tag}"))


def _inspect(store: Any, args: argparse.Namespace) -> int:
    from runtime.api.images import ImageNotFound

    found: list[dict[str, Any]] = []
    missing: list[Exception] = []
    for name in args.images:
        try:
            found.append(store.inspect(name, args.platform))
        except ImageNotFound as exc:
            missing.append(exc)
    if args.format and args.format != "json":
        for item in found:
            print(render_template(args.format, item))
    else:
        print(json.dumps(found, indent=4))
    if missing:
        raise ExceptionGroup("image inspect", missing)
    return 0


def _tag(store: Any, args: argparse.Namespace) -> int:
    store.tag(args.source, args.target)
    return 0


def _rm(store: Any, args: argparse.Namespace) -> int:
    removed, errors = store.remove(args.images, force=args.force)
    for item in removed:
        print(f"{item.action}: {item.subject}")
    if errors:
        raise ExceptionGroup("image rm", errors)
    return 0


def _prune(store: Any, args: argparse.Namespace) -> int:
    from runtime.images.filters import parse_filters

    filters = parse_filters(args.filter)
    if not args.force:
        warning = ("WARNING! This will remove all images without at least one container associated to them."
                   if args.all else "WARNING! This will remove all dangling images.")
        print(f"{warning}\nAre you sure you want to continue? [y/N] ", end="", flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            print()
            return 0
    removed, reclaimed = store.prune(all_images=args.all, filters=filters)
    if removed:
        print("Deleted Images:")
        for item in removed:
            print(f"{item.action}: {item.subject}")
        print()
    print(f"Total reclaimed space: {human_size(reclaimed)}")
    return 0


_HISTORY_HEADER = [("ID", "IMAGE"), ("CreatedSince", "CREATED"), ("CreatedBy", "CREATED BY"), ("Size", "SIZE"),
                   ("Comment", "COMMENT")]


def _history(store: Any, args: argparse.Namespace) -> int:
    rows = []
    for h in store.history(args.image):
        image_id = h.id if args.no_trunc or h.id == "<missing>" else h.id[7:19]
        created_by = h.created_by.replace("\t", " ").replace("\n", " ")
        if not args.no_trunc and len(created_by) > 45:
            created_by = created_by[:44] + "…"
        rows.append({
            "ID": image_id,
            "CreatedAt": h.created if not args.human else created_at(h.created),
            "CreatedSince": created_since(h.created) if args.human else h.created,
            "CreatedBy": created_by,
            "Size": human_size(h.size) if args.human else str(h.size),
            "Comment": h.comment,
        })
    if args.quiet:
        for row in rows:
            print(row["ID"])
        return 0
    print_formatted(rows, args.format, _HISTORY_HEADER)
    return 0


def _search(args: argparse.Namespace) -> int:
    from runtime.registry.client import RegistryClient
    from runtime.registry.search import search

    with RegistryClient() as client:
        results = search(client, args.term, limit=args.limit)
    for f in args.filter:
        key, _, value = f.partition("=")
        if key == "stars":
            results = [r for r in results if r.stars >= int(value or 0)]
        elif key == "is-official":
            results = [r for r in results if r.official == (value.lower() == "true")]
    rows = [{"Name": r.name, "Description": r.description if args.no_trunc or len(r.description) <= 45
             else r.description[:44] + "…", "StarCount": str(r.stars), "IsOfficial": "[OK]" if r.official else ""}
            for r in results]
    print_formatted(rows, args.format, [("Name", "NAME"), ("Description", "DESCRIPTION"), ("StarCount", "STARS"),
                                        ("IsOfficial", "OFFICIAL")])
    return 0


_HANDLERS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "pull": _pull, "load": _load, "save": _save, "import": _import, "ls": _ls, "list": _ls, "inspect": _inspect,
    "tag": _tag,
    "rm": _rm, "remove": _rm, "prune": _prune, "history": _history,
}
