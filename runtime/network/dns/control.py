"""Talking to the resolver process: start it when needed, tell it to re-read the state.

``reload(store)`` returns once the resolver serves the current state: started if it was
not running, and -- when no container is left -- exited (so a torn-down project leaves no
process behind).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from runtime.errors import RuntimeFailure
from runtime.network.records import NetworkStore
from runtime.state import FileLock

START_TIMEOUT = 10.0
EXIT_TIMEOUT = 5.0


def control_path(store: NetworkStore) -> Path:
    return store.run / "dns.sock"


def pid_path(store: NetworkStore) -> Path:
    return store.run / "dns.pid"


def _ask(store: NetworkStore) -> bytes | None:
    """The resolver's reply to ``reload``; None when none is listening."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(START_TIMEOUT)
            s.connect(str(control_path(store)))
            s.sendall(b"reload\n")
            return s.recv(64).strip() or None
    except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
        return None


def _start(store: NetworkStore) -> None:
    log = store.run / "dns.log"
    store.run.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "runtime.network.dns.server", "--detach"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, timeout=START_TIMEOUT,
            env={**os.environ, "PYCOMPOSE_ROOT": str(store.state.root), "PYCOMPOSE_RUN": str(store.state.run)},
            check=False, start_new_session=True,
        )
    if proc.returncode != 0:
        raise RuntimeFailure(f"the embedded DNS resolver did not start (see {log})")


def _running_pid(store: NetworkStore) -> int | None:
    try:
        pid = int(pid_path(store).read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return None
    return None if state == "Z" else pid


def reload(store: NetworkStore, *, needed: bool | Callable[[], bool]) -> None:
    """Make the resolver serve the current state. ``needed``: whether some container wants
    it -- asked again when the resolver is found gone, since a concurrent teardown may have
    let it exit after this command's own change."""
    wanted = needed if callable(needed) else (lambda: needed)
    # One conversation at a time: otherwise a teardown's reload can make the resolver exit
    # while a concurrent set-up is between finding it gone and starting a new one.
    store.run.mkdir(parents=True, exist_ok=True)
    with FileLock(store.run / "dns-control.lock"):
        reply = _ask(store)
        if reply is None and wanted():
            _wait_gone(store)
            _start(store)
            reply = _ask(store)
            if reply is None and wanted():
                raise RuntimeFailure(f"the embedded DNS resolver does not answer (see {store.run / 'dns.log'})")
        if reply == b"bye" or reply is None:
            _wait_gone(store)


def _wait_gone(store: NetworkStore) -> None:
    deadline = time.monotonic() + EXIT_TIMEOUT
    while _running_pid(store) is not None and time.monotonic() < deadline:
        time.sleep(0.005)


def stop(store: NetworkStore) -> None:
    """Ask the resolver to exit if it serves nothing (used by tests and prune)."""
    with contextlib.suppress(RuntimeFailure):
        reload(store, needed=False)
