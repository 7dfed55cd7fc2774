"""The ``pycompose`` command: global flags, lazy dispatch to one module per command,
and the one place where errors become a message and an exit code.

Start-up must stay fast: this module imports only the standard library. Each
command lives in ``compose.cli.commands.<name>`` and is imported when it is run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

PROG = "pycompose"

# command name -> (module under compose.cli.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("config", "Parse, resolve and render compose file in canonical format"),
    "build": ("build", "Build or rebuild services"),
    "bridge": ("bridge", "Convert the project to Kubernetes manifests (bridge convert)"),
    "create": ("create", "Creates containers for a service"),
    "down": ("down", "Stop and remove containers, networks"),
    "restart": ("restart", "Restart service containers"),
    "rm": ("rm", "Removes stopped service containers"),
    "scale": ("scale", "Scale services"),
    "start": ("start", "Start services"),
    "stop": ("stop", "Stop services"),
    "up": ("up", "Create and start containers"),
    "watch": ("watch", "Watch build context for service and rebuild/refresh containers when files are updated"),
    "volume": ("volume", "Manage volumes (create, ls, inspect, rm, prune)"),
    "container": ("container", "Manage single containers (run, ls, exec, logs, cp, port, stats, rm, commit, ...)"),
    "image": ("image", "Manage images (load, save, import, ls, inspect, tag, rm, prune, history)"),
    "builder": ("builder", "Manage the build cache (prune)"),
    "network": ("network", "Manage networks (create, ls, inspect, rm, prune)"),
    "logs": ("logs", "View output from containers"),
    "ps": ("ps", "List containers"),
    "exec": ("exec", "Execute a command in a running container"),
    "run": ("run", "Run a one-off command on a service"),
    "top": ("top", "Display the running processes"),
    "port": ("port", "Print the public port for a port binding"),
    "kill": ("kill", "Force stop service containers"),
    "pause": ("pause", "Pause services"),
    "unpause": ("unpause", "Unpause services"),
    "wait": ("wait", "Block until containers of all (or specified) services stop"),
    "inspect": ("inspect", "Return low-level information on containers, images, volumes or networks"),
    "images": ("images", "List images used by the created containers"),
    "push": ("push", "Push service images"),
    "publish": ("publish", "Publish compose application"),
    "login": ("login", "Log in to a registry"),
    "logout": ("logout", "Log out from a registry"),
    "pull": ("pull", "Pull service images"),
    "ls": ("ls", "List running compose projects"),
    "events": ("events", "Receive real time events from containers"),
    "stats": ("stats", "Display a live stream of container(s) resource usage statistics"),
    "attach": ("attach", "Attach local standard input, output, and error streams to a service's running container"),
    "cp": ("cp", "Copy files/folders between a service container and the local filesystem"),
    "version": ("version", "Show the pycompose version information"),
}


@dataclass(frozen=True)
class GlobalOptions:
    """Docker Compose's global flags, as given on the command line."""

    files: tuple[str, ...]
    project_name: str | None
    project_directory: str | None
    env_files: tuple[str, ...]
    profiles: tuple[str, ...]
    ansi: str
    progress: str
    dry_run: bool
    verbose: bool


def build_parser(with_commands: bool = True) -> argparse.ArgumentParser:
    """The global parser; the command list is only needed to print help."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Define and run multi-container applications, daemonless.",
        allow_abbrev=False,
    )
    g = parser.add_argument_group("global options")
    g.add_argument("-f", "--file", dest="files", action="append", default=[], metavar="FILE",
                   help="Compose configuration files ('-' reads standard input)")
    g.add_argument("-p", "--project-name", metavar="NAME", help="Project name")
    g.add_argument("--project-directory", metavar="DIR",
                   help="Alternate working directory (default: the first file's directory)")
    g.add_argument("--env-file", dest="env_files", action="append", default=[], metavar="FILE",
                   help="Alternate environment file(s)")
    g.add_argument("--profile", dest="profiles", action="append", default=[], metavar="NAME",
                   help="Profile(s) to enable")
    g.add_argument("--ansi", choices=("never", "always", "auto"), default="auto",
                   help="Control when to print ANSI control characters")
    g.add_argument("--progress", choices=("auto", "tty", "plain", "json", "quiet"), default="auto",
                   help="Set type of progress output")
    g.add_argument("--dry-run", action="store_true", help="Execute command in dry run mode")
    g.add_argument("-v", "--verbose", action="store_true", help="Show tracebacks on errors")
    g.add_argument("--version", action="store_true", help="Show the pycompose version information")
    if not with_commands:
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, text) in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    sub.add_parser("help", help="Show help for a command")
    return parser


def _split_global(argv: Sequence[str]) -> tuple[list[str], str | None, list[str]]:
    """Split ``argv`` into global flags, the command name and the command's own args."""
    takes_value = {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file",
                   "--profile", "--ansi", "--progress"}
    head: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            return head, arg, list(argv[i + 1 :])
        head.append(arg)
        if arg in takes_value:
            if i + 1 < len(argv):
                head.append(argv[i + 1])
            i += 2
            continue
        i += 1
    if i < len(argv):
        return head, argv[i], list(argv[i + 1 :])
    return head, None, []


def _global_options(ns: argparse.Namespace) -> GlobalOptions:
    return GlobalOptions(
        files=tuple(ns.files),
        project_name=ns.project_name,
        project_directory=ns.project_directory,
        env_files=tuple(ns.env_files),
        profiles=tuple(ns.profiles),
        ansi=ns.ansi,
        progress=ns.progress,
        dry_run=ns.dry_run,
        verbose=ns.verbose,
    )


def _load_command(name: str):  # -> module with add_arguments(parser) and run(opts, args) -> int
    return importlib.import_module(f"compose.cli.commands.{COMMANDS[name][0]}")


def command_parser(name: str) -> argparse.ArgumentParser:
    module = _load_command(name)
    parser = argparse.ArgumentParser(prog=f"{PROG} {name}", description=COMMANDS[name][1],
                                     allow_abbrev=False)
    module.add_arguments(parser)
    return parser


class _ArgError(Exception):
    pass


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    def error(message: str) -> None:
        raise _ArgError(f"{parser.prog}: {message}")

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    try:
        head, name, rest = _split_global(argv)
        wants_help = name in (None, "help") or "-h" in head or "--help" in head
        parser = build_parser(with_commands=wants_help)
        ns = _parse(parser, head)
        if ns.version and name is None:
            from compose import __version__

            print(f"{PROG} version {__version__}")  # one line, as ``docker compose --version``
            return 0
        if name is None:
            parser.print_help()
            return 0
        if name == "help":
            if rest and rest[0] in COMMANDS:
                command_parser(rest[0]).print_help()
            else:
                parser.print_help()
            return 0
        if name not in COMMANDS:
            raise _ArgError(f"{PROG}: unknown command {name!r}; see '{PROG} --help'")
        opts = _global_options(ns)
        verbose = opts.verbose
        cmd_parser = command_parser(name)
        args = _parse(cmd_parser, rest)
        return int(_load_command(name).run(opts, args) or 0)
    except _ArgError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``pycompose config | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        return _report(exc, verbose)


def cli() -> None:
    """The console entry point: run ``main`` and exit with its code, quickly."""
    exit_now(main())


def exit_now(code: int) -> None:
    """Exit with ``code`` without the interpreter's final teardown of every module.

    That teardown costs a command ~0.15 s and does nothing a user can see: exit
    handlers (temporary directories, finalizers) still run here and both streams
    are flushed. If a non-daemon thread is still at work, exit the normal way,
    which waits for it as Python always does.
    """
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe or stream: nothing more to deliver
    os._exit(code)


def _report(exc: BaseException, verbose: bool) -> int:
    from runtime.errors import PyComposeError

    if verbose:
        import traceback

        traceback.print_exception(exc)
    leaves = _leaves(exc)
    ours = [e for e in leaves if isinstance(e, PyComposeError)]
    if ours and len(ours) == len(leaves):
        for e in ours:
            print(f"{PROG}: {e.render()}", file=sys.stderr)
        return max(e.exit_code for e in ours)
    if not verbose:
        print(f"{PROG}: internal error: {type(leaves[0]).__name__}: {leaves[0]} "
              f"(run with -v for a traceback)", file=sys.stderr)
    return 2


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for e in exc.exceptions:
            out.extend(_leaves(e))
        return out
    return [exc]
