"""``pycompose exec``: run a command in a running container of a service.

A pseudo-TTY is allocated when standard input is a terminal (``-T`` never, ``-t`` always);
standard input is passed on (``-i``, Docker Compose's default). The command's exit code is
``exec``'s exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--detach", action="store_true", help="Detached mode: Run command in the background")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VAL",
                        help="Set environment variables")
    parser.add_argument("-i", "--interactive", action="store_true", default=True,
                        help="Keep STDIN open even if not attached (default true)")
    parser.add_argument("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    parser.add_argument("-T", "--no-TTY", dest="no_tty", action="store_true",
                        help="Disable pseudo-TTY allocation (default: auto-detected)")
    parser.add_argument("-u", "--user", default=None, help="Run the command as this user")
    parser.add_argument("-w", "--workdir", default=None, help="Path to workdir directory for this command")
    parser.add_argument("--index", type=int, default=0, help="Index of the container if service has multiple replicas")
    parser.add_argument("--privileged", action="store_true", help="Give extended privileges to the process")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")


def env_items(items: list[str], environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """``-e KEY=VAL`` as given; ``-e KEY`` takes KEY from this environment (dropped when unset)."""
    environ = dict(os.environ) if environ is None else environ
    out = []
    for item in items:
        if "=" in item:
            out.append(item)
        elif item in environ:
            out.append(f"{item}={environ[item]}")
    return tuple(out)


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target
    from compose.errors import UsageError

    if not args.command:
        raise UsageError("exec requires at least 2 arguments: SERVICE COMMAND [ARGS...]")
    target = open_target(opts)
    container = target.one(args.service, args.index or None)
    if opts.dry_run:
        return 0
    api = target.rt.containers
    command, env = tuple(args.command), env_items(args.env)
    if args.detach:
        pid = os.fork()
        if pid:
            return 0
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            code = api.exec(container.id, command, env=env, user=args.user, workdir=args.workdir,
                            stdio=(devnull, devnull, devnull), privileged=args.privileged)
        except BaseException:
            code = 126
        os._exit(code)
    tty = not args.no_tty and (args.tty or sys.stdin.isatty())
    sys.stdout.flush()
    if tty:
        return api.exec(container.id, command, env=env, user=args.user, workdir=args.workdir, tty=True,
                        interactive=args.interactive, privileged=args.privileged)
    return piped(lambda stdio: api.exec(container.id, command, env=env, user=args.user, workdir=args.workdir,
                                        interactive=args.interactive, privileged=args.privileged, stdio=stdio))


def piped(call: Any) -> int:
    """Run ``call(stdio)`` so that the process sees no terminal: when one of ours is a terminal,
    it gets pipes and threads copy to and from ours (as Docker's streams do)."""
    import threading

    if not any(os.isatty(fd) for fd in (0, 1, 2)):
        return call((0, 1, 2))

    def copy(src: int, dst: int, close: int | None) -> None:
        try:
            while data := os.read(src, 65536):
                os.write(dst, data)
        except OSError:
            pass
        finally:
            if close is not None:
                os.close(close)

    fds: list[int] = []
    copiers = []
    stdio = [0, 1, 2]
    for fd in (1, 2):
        if os.isatty(fd):
            r, w = os.pipe()
            stdio[fd] = w
            fds.append(w)
            copiers.append(threading.Thread(target=copy, args=(r, fd, r), daemon=True))
    if os.isatty(0):
        r, w = os.pipe()
        stdio[0] = r
        fds.append(r)
        threading.Thread(target=copy, args=(0, w, w), daemon=True).start()
    for t in copiers:
        t.start()
    try:
        return call(tuple(stdio))
    finally:
        for fd in fds:
            os.close(fd)
        for t in copiers:
            t.join(5)
