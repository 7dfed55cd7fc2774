"""The link helper: one small process per run root that makes the network layer's netlink
changes (``runtime.network.linkops``) for the commands.

Why: the netlink library takes 0.15-0.2 s to import (it loads asyncio and all of its
families), on the path of every command that makes or removes a link. Here it is imported
once, by a process that ``up`` and ``down`` start early (``Networks.preload``), on the other
core while they prepare images and the plan or stop containers; later commands find it
loaded. It holds nothing a command needs to get back: a killed helper is replaced by the
next command, and a command that cannot reach one does the operation itself. It exits after
``IDLE_EXIT`` seconds without a request (``PYCOMPOSE_LINK_HELPER_IDLE`` sets another time).

Requests (the supervisors' wire format): ``{"op": <name in linkops.OPS>, "args": {...}}``
answered by ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ..., "errno": ...}``;
``ping`` and ``shutdown``. Each connection gets a thread: netlink waits release the lock, so
the containers of one ``up`` are wired side by side.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from runtime import daemons
from runtime.errors import RuntimeFailure
from runtime.state import StateRoot
from runtime.supervisor import protocol

IDLE_EXIT = 10.0
SOCKET = "links.sock"


def socket_path(state: StateRoot) -> Path:
    return state.run / SOCKET


def answer(msg: dict[str, Any]) -> dict[str, Any]:
    """The reply to one operation request."""
    from runtime.network import linkops

    fn = linkops.OPS.get(str(msg.get("op")))
    if fn is None:
        return {"ok": False, "error": f"unknown request {msg.get('op')!r}", "internal": True}
    try:
        return {"ok": True, "result": fn(**msg.get("args", {}))}
    except RuntimeFailure as exc:
        return {"ok": False, "error": str(exc), "errno": exc.errno}
    except Exception as exc:  # a netlink error not turned into a RuntimeFailure: say what it was
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "errno": getattr(exc, "code", None),
                "internal": True}


class LinkServer:
    def __init__(self, state: StateRoot, ready_fd: int = -1, idle_exit: float = IDLE_EXIT) -> None:
        self.state = state
        self.idle_exit = idle_exit
        self.ready_fd = ready_fd
        self.busy = 0
        self.last = time.monotonic()
        self.stop = False
        self.guard = threading.Lock()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(60)
                msg, fds = protocol.receive(conn, bytearray())
                for fd in fds:
                    os.close(fd)
                if msg is None:
                    return
                if msg.get("op") == "ping":
                    reply: dict[str, Any] = {"ok": True, "pid": os.getpid()}
                elif msg.get("op") == "shutdown":
                    self.stop = True
                    reply = {"ok": True}
                else:
                    reply = answer(msg)
                protocol.send(conn, reply)
            except OSError:
                pass  # the command went away; what it asked for is idempotent
            finally:
                with self.guard:
                    self.busy -= 1
                    self.last = time.monotonic()

    def serve(self) -> None:
        path = socket_path(self.state)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        protocol.bind(listener, str(path))
        listener.listen(128)
        listener.settimeout(min(1.0, self.idle_exit / 2))
        mine = os.stat(path).st_ino
        if self.ready_fd >= 0:
            os.close(self.ready_fd)
            self.ready_fd = -1
        from pyroute2 import IPRoute  # noqa: F401 - imported once, before the first request

        while not self.stop:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                with self.guard:
                    if not self.busy and time.monotonic() - self.last > self.idle_exit:
                        break
                continue
            with self.guard:
                self.busy += 1
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == mine:  # not a successor's socket
                path.unlink()
        listener.close()
        while True:  # let requests in flight finish
            with self.guard:
                if not self.busy:
                    return
            time.sleep(0.01)


def main(argv: list[str]) -> None:
    """``python -m runtime.network.linkd ROOT RUN [READY_FD]``: detach and serve."""
    ready_fd = int(argv[2]) if len(argv) > 2 else -1
    idle = float(os.environ.get("PYCOMPOSE_LINK_HELPER_IDLE") or IDLE_EXIT)
    daemons.detach(ready_fd)
    LinkServer(StateRoot(Path(argv[0]), Path(argv[1])), ready_fd, idle).serve()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
