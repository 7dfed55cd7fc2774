"""``pycompose image build`` (``docker build``): one image from a Dockerfile, and its progress.

    pycompose image build -t NAME [-f FILE] [--target STAGE] [--build-arg K[=V]] [--no-cache]
                          [--pull] [-q] [--progress auto|plain|quiet] [--secret id=ID,src=FILE]
                          [--network default|host|none] [--label K=V] CONTEXT

Progress as BuildKit prints it without a terminal (``--progress plain``): ``#N [stage i/n] STEP``,
``#N CACHED``, the step's output lines, ``#N DONE 0.3s``; on a terminal (``auto``) one line per step
(``=> [web 2/5] RUN make   1.2s``, ``=> CACHED ...``) and the last lines of a failing step.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("build", help="Build an image from a Dockerfile")
    p.add_argument("context", metavar="PATH | URL")
    p.add_argument("-t", "--tag", action="append", default=[], help="Name and optionally a tag (name:tag)")
    p.add_argument("-f", "--file", help="Name of the Dockerfile (default: PATH/Dockerfile; - reads it from stdin)")
    p.add_argument("--target", help="Set the target build stage to build")
    p.add_argument("--build-arg", action="append", default=[], help="Set build-time variables")
    p.add_argument("--label", action="append", default=[], help="Set metadata for an image")
    p.add_argument("--no-cache", action="store_true", help="Do not use cache when building the image")
    p.add_argument("--no-cache-filter", action="append", default=[], help="Do not cache specified stages")
    p.add_argument("--pull", action="store_true", help="Always attempt to pull all referenced images")
    p.add_argument("--cache-from", action="append", default=[], help="External cache sources (e.g., "
                   "\"user/app:cache\", \"type=registry,ref=user/app\")")
    p.add_argument("--cache-to", action="append", default=[], help="Cache export destinations (e.g., "
                   "\"type=registry,ref=user/app\", \"type=inline\")")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the build output and print image ID")
    p.add_argument("--progress", choices=("auto", "plain", "tty", "quiet", "rawjson"), default="auto")
    p.add_argument("--secret", action="append", default=[], help="Secret to expose: id=mysecret[,src=/local]")
    p.add_argument("--network", help="Networking mode for the RUN instructions during build")
    p.add_argument("--platform", action="append", default=[], help="Set target platform (the host's only)")


def _kv(items: list[str], what: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not key:
            from compose.errors import UsageError

            raise UsageError(f"invalid {what} {item!r}: use KEY=VALUE")
        out[key] = value if eq else None
    return out


def _secret(text: str) -> Any:
    from compose.errors import UsageError
    from runtime.api.build import BuildSecret

    fields = dict(part.partition("=")[::2] for part in text.split(","))
    sid = fields.get("id")
    if not sid:
        raise UsageError(f"invalid secret {text!r}: use id=ID,src=FILE or id=ID,env=VAR")
    return BuildSecret(sid, file=fields.get("src") or fields.get("source"), env=fields.get("env"))


class Printer:
    """BuildKit-like lines: numbered steps (plain) or one line a step (terminal)."""

    def __init__(self, mode: str, out: Any = sys.stderr) -> None:
        self.out = out
        self.mode = "plain" if mode == "plain" or (mode == "auto" and not out.isatty()) else mode
        self.numbers: dict[str, int] = {}
        self.logs: dict[str, list[str]] = {}
        self.start = time.monotonic()
        self.started: set[int] = set()

    def __call__(self, event: Any) -> None:
        if self.mode == "quiet":
            return
        if event.status == "warning":
            print(f"WARNING: {event.text}", file=self.out, flush=True)
            return
        n = self.numbers.setdefault(event.step, len(self.numbers) + 1)
        if event.status == "log":
            self.logs.setdefault(event.step, []).append(event.text)
        if self.mode == "plain":
            lines = []
            if event.status in ("start", "cached") or (event.status == "done" and n not in self.started):
                lines.append(f"#{n} {event.step}")
                self.started.add(n)
            if event.status == "cached":
                lines.append(f"#{n} CACHED\n")
            elif event.status == "log":
                lines.append(f"#{n} {time.monotonic() - self.start:.3f} {event.text}")
            elif event.status == "done":
                lines.append(f"#{n} DONE {event.elapsed or 0:.1f}s\n")
            if lines:
                print("\n".join(lines), file=self.out, flush=True)
        elif event.status == "cached":
            print(f" => CACHED {event.step}", file=self.out, flush=True)
        elif event.status == "done":
            print(f" => {event.step:<70} {event.elapsed or 0:5.1f}s", file=self.out, flush=True)

    def failed(self, step_text: str) -> None:
        for step, lines in self.logs.items():
            if step_text in step:
                for line in lines[-10:]:
                    print(f" > {line}", file=self.out)


def cmd_build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compose.build import cache_refs
    from compose.errors import UsageError
    from runtime.api.build import Builder, BuildRequest, BuildStepFailed, is_git_url

    try:
        cache_from = cache_refs(args.cache_from)[0]
        cache_to, inline_cache, cache_max = cache_refs(args.cache_to)
    except ValueError as exc:
        raise UsageError(f"invalid cache: {exc}") from None
    inline = sys.stdin.read() if args.file == "-" else None  # ``-f -``: the Dockerfile on stdin
    remote = args.context if is_git_url(args.context) else None
    request = BuildRequest(
        context=Path("." if remote else args.context), context_url=remote,
        dockerfile=Path(args.file) if args.file and inline is None else None,
        dockerfile_inline=inline, target=args.target,
        args=_kv(args.build_arg, "build argument"),
        labels={k: v or "" for k, v in _kv(args.label, "label").items()}, tags=tuple(args.tag),
        no_cache=args.no_cache, no_cache_filter=tuple(args.no_cache_filter), pull=args.pull,
        secrets=tuple(_secret(s) for s in args.secret), network=args.network, platforms=tuple(args.platform),
        quiet=args.quiet, cache_from=tuple(cache_from), cache_to=tuple(cache_to),
        cache_to_max=tuple(cache_max), inline_cache=inline_cache)
    printer = Printer("quiet" if args.quiet else args.progress)
    try:
        image = Builder().build(request, printer)
    except BuildStepFailed as exc:
        printer.failed(exc.step[:40])
        raise
    if args.quiet:
        print(image.id)
    elif printer.mode != "quiet":
        print(f"writing image {image.id} done", file=sys.stderr)
        for tag in image.tags:
            print(f"naming to docker.io/{tag if '/' in tag else 'library/' + tag} done", file=sys.stderr)
    return 0
