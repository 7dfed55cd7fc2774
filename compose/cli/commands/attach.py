"""``pycompose attach SERVICE`` and ``pycompose container attach CONTAINER``: this terminal joined
to a running container's standard streams, as ``docker attach`` does.

Output is the container's new output (nothing of its past, as Docker's attach without logs).
Standard input goes to the container when it was created with one (``stdin_open``/``-i``) and
``--no-stdin`` is not given; the container's stdin stays open when this attacher goes, so
another can attach later. With a pseudo-TTY (``tty: true``/``-t``) the terminal is put in raw
mode, the container's terminal takes its size, and the detach keys (``--detach-keys``, else
``detachKeys`` of Docker's ``config.json``, else ctrl-p,ctrl-q) leave the container running.
Without one, the signals this process gets are passed on to the container (``--sig-proxy``,
on by default). The exit code is the container's, or 0 after a detach.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from typing import Any

from compose.cli.goflags import add_bool

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
# ctrl-<value> -> byte, as Docker reads detach keys
_CTRL = {**{chr(c): c - ord("a") + 1 for c in range(ord("a"), ord("z") + 1)},
         "@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}
# the signals ``docker attach --sig-proxy`` passes on (not those about the terminal or children)
_PROXIED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--detach-keys", default=None, metavar="KEYS",
                        help="Override the key sequence for detaching from a container")
    parser.add_argument("--no-stdin", action="store_true", help="Do not attach STDIN")
    add_bool(parser, "--sig-proxy", default=True, help="Proxy all received signals to the process")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flags(parser)
    parser.add_argument("--index", type=int, default=0, help="index of the container if service has multiple replicas")
    parser.add_argument("service", metavar="SERVICE")


def parse_detach_keys(text: str) -> bytes:
    """``ctrl-p,ctrl-q`` -> ``b"\\x10\\x11"``: each key one character, or ctrl- and one of a-z, @, [,
    \\, ], ^ and _."""
    from compose.errors import UsageError

    out = bytearray()
    for key in text.split(","):
        if len(key) == 1:
            out.append(ord(key))
        elif key.lower().startswith("ctrl-") and key.lower()[5:] in _CTRL:
            out.append(_CTRL[key.lower()[5:]])
        else:
            raise UsageError(f"invalid detach keys {text!r}: {key!r} is not one character or ctrl-<value> "
                             "(<value> one of a-z, @, [, \\, ], ^, _), e.g. --detach-keys ctrl-p,ctrl-q")
    return bytes(out)


def configured_detach_keys(environ: dict[str, str] | None = None) -> str | None:
    """``detachKeys`` from Docker's client configuration (``$DOCKER_CONFIG/config.json``)."""
    environ = os.environ if environ is None else environ
    base = environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    try:
        with open(os.path.join(base, "config.json"), encoding="utf-8") as f:
            value = json.load(f).get("detachKeys")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


class EscapeFilter:
    """Watches the bytes typed for the detach sequence. A prefix of it is held back until the next
    byte tells: the whole sequence detaches (and is not passed on); anything else passes on."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.held = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """(the bytes to pass on, whether the sequence was read: the rest of ``data`` is dropped)."""
        out = bytearray()
        for value in data:
            byte = bytes((value,))
            if self.keys.startswith(self.held + byte):
                self.held += byte
            else:
                out += self.held
                self.held = byte if self.keys.startswith(byte) else b""
                if not self.held:
                    out += byte
            if self.held == self.keys:
                self.held = b""
                return bytes(out), True
        return bytes(out), False


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target

    keys = parse_detach_keys(args.detach_keys or configured_detach_keys() or DEFAULT_DETACH_KEYS)
    target = open_target(opts)
    container = target.one(args.service, args.index or None)
    return attach(target.rt.containers, container.id, stdin=not args.no_stdin, detach_keys=keys,
                  sig_proxy=args.sig_proxy)


def attach(containers: Any, ref: str, *, stdin: bool, detach_keys: bytes, sig_proxy: bool) -> int:
    """Join the container's streams until it stops (its exit code) or the detach keys are read (0)."""
    import signal

    from runtime.api import InvalidState

    info = containers.get(ref)
    if info.state.status == "paused":
        raise InvalidState("You cannot attach to a paused container, unpause it first")
    if info.state.status != "running":
        raise InvalidState("You cannot attach to a stopped container, start it first")
    cid, process = info.record.id, info.record.spec.process
    tty = bool(process.terminal)
    done = threading.Event()
    detached = threading.Event()
    fd = containers.attach_stdin(cid, once=False) if stdin and process.stdin else None
    saved_tty = None
    previous: dict[int, Any] = {}
    try:
        if tty and os.isatty(0):
            import termios
            import tty as ttymode

            saved_tty = termios.tcgetattr(0)
            ttymode.setraw(0, termios.TCSANOW)  # not the default flush: what was typed ahead is kept
        if tty:
            _resize(containers, cid)
            if os.isatty(0):
                previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, lambda *_: _resize(containers, cid))
        elif sig_proxy:
            for name in _PROXIED:
                sig = signal.Signals[name]
                previous[sig] = signal.signal(sig, lambda s, _f: _proxy(containers, cid, s))
        following = threading.Event()
        threading.Thread(target=_follow, args=(containers, cid, following, done), daemon=True).start()
        while not (following.wait(0.2) or done.is_set()):
            pass
        if fd is not None:  # input only once output is followed: no answer to it is missed
            escape = EscapeFilter(detach_keys) if tty and detach_keys else None
            threading.Thread(target=_pump, args=(fd, escape, detached, done), daemon=True).start()
            fd = None
        while not done.wait(0.2):
            pass
    finally:
        if fd is not None:  # not handed on
            os.close(fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if saved_tty is not None:
            import termios

            termios.tcsetattr(0, termios.TCSADRAIN, saved_tty)
    if detached.is_set():
        print("read escape sequence", file=sys.stderr)
        return 0
    return int(containers.wait(cid))


def _follow(containers: Any, cid: str, following: threading.Event, done: threading.Event) -> None:
    from compose.cli.commands.container import _print_entry
    from runtime.api import NotFound

    try:
        containers.follow_logs(cid, _print_entry, tail=0, poll=0.02, on_start=following.set)
    except NotFound:  # removed meanwhile: nothing more to show
        pass
    finally:
        done.set()


def _pump(fd: int, escape: EscapeFilter | None, detached: threading.Event, done: threading.Event) -> None:
    """Standard input to the container; at its end, only this attacher's copy is closed."""
    try:
        while data := os.read(0, 65536):
            found = False
            if escape is not None:
                data, found = escape.feed(data)
            if data:
                os.write(fd, data)
            if found:
                detached.set()
                done.set()
                return
    except OSError:
        pass
    finally:
        os.close(fd)


def _resize(containers: Any, cid: str) -> None:
    import contextlib

    from runtime.api import PyComposeError

    try:
        size = os.get_terminal_size(0)
    except OSError:
        return
    with contextlib.suppress(PyComposeError, OSError):
        containers.resize(cid, size.lines, size.columns)


def _proxy(containers: Any, cid: str, sig: int) -> None:
    import contextlib
    import signal

    from runtime.api import PyComposeError

    with contextlib.suppress(PyComposeError):
        containers.kill(cid, signal=signal.Signals(sig).name)
