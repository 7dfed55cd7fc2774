"""How commands reach the supervisors: start the server on demand, ask it for a shim, talk to shims."""

from __future__ import annotations

import os
import select
import socket
import time
from pathlib import Path
from typing import Any

from runtime import daemons
from runtime.errors import RuntimeFailure
from runtime.state import StateRoot
from runtime.supervisor import protocol


def server_socket(state: StateRoot) -> Path:
    return state.run / "supervisor.sock"


def ensure_server(state: StateRoot) -> Path:
    """The server's socket, starting the server if none answers."""
    return daemons.ensure(state, "runtime.supervisor", server_socket(state))


def spawn_shim(state: StateRoot, cid: str, *, adopt: bool = False, timeout: float = 60.0) -> int:
    """Ask the server for a shim for ``cid``; its pid. Returns once the shim has started the
    container (or failed to, or died), or adopted it: the shim holds the write end of a pipe
    sent with the request and closes it then, so this blocks on the read end instead of
    polling ``state.json``. After ``timeout`` it returns anyway (callers check the state)."""
    path = ensure_server(state)
    for _attempt in range(3):
        ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
        try:
            try:
                reply, _ = protocol.request(str(path), {"op": "spawn", "id": cid, "adopt": adopt}, fds=[ready_w])
            finally:
                os.close(ready_w)
            if reply.get("ok"):
                daemons.wait_closed(ready_r, timeout)
        except (OSError, ValueError):
            path = ensure_server(state)
            continue
        finally:
            os.close(ready_r)
        if not reply.get("ok"):
            raise RuntimeFailure(f"supervisor: {reply.get('error')}")
        return int(reply["pid"])
    raise RuntimeFailure("the supervisor does not answer")


def server_request(state: StateRoot, message: dict[str, Any]) -> dict[str, Any] | None:
    """Ask the server, if one runs; None if none does."""
    path = server_socket(state)
    try:
        reply, _ = protocol.request(str(path), message, timeout=10)
        return reply
    except (OSError, ValueError):
        return None


def shim_request(sock_path: Path, message: dict[str, Any], *, timeout: float | None = 30.0,
                 ) -> tuple[dict[str, Any], list[int]] | None:
    """Ask a container's shim; None if no shim answers (dead or never started)."""
    try:
        return protocol.request(str(sock_path), message, timeout=timeout)
    except (FileNotFoundError, ConnectionError):
        # refused, reset, or a broken pipe: a shim exiting between our connect and our send;
        # a BrokenPipeError let through would reach the CLI, which takes it for a closed stdout
        return None
    except TimeoutError:
        raise RuntimeFailure(f"the container's supervisor did not answer {message.get('op')!r} in time") from None


def wait_exit(sock_path: Path, waiter: socket.socket | None, timeout: float) -> socket.socket | None:
    """Wait at most ``timeout`` seconds for the container to exit for good (a ``wait`` request
    left open across calls: ``waiter``, opened when None) instead of sleeping blindly. Returns
    the waiter to pass next time, or None once it has answered or its shim is gone (the
    caller then refreshes the state); the caller closes a waiter it no longer needs."""
    if waiter is None:
        waiter = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            waiter.settimeout(5)
            protocol.connect(waiter, str(sock_path))
            protocol.send(waiter, {"op": "wait"})
        except OSError:
            waiter.close()
            time.sleep(timeout)  # no shim to ask (yet): the caller's refresh finds out why
            return None
    if select.select([waiter], [], [], timeout)[0]:
        waiter.close()
        return None
    return waiter


def shim_alive(sock_path: Path, timeout: float = 5.0) -> bool:
    """Whether the container's shim is there: it answers, or it is too busy to answer in time
    but its process lives (a busy shim taken for a dead one would get a second, adopting one)."""
    try:
        return shim_request(sock_path, {"op": "state"}, timeout=timeout) is not None
    except RuntimeFailure:
        from runtime.container.store import alive

        try:
            return alive(int((sock_path.parent / "shim.pid").read_text()), 0)
        except (OSError, ValueError):
            return False
