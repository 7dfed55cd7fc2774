"""The supervisor server: one small process per run root that forks the per-container shims.

Why this shape (see ``runtime/container/DESIGN.md``): a shim forked from a process that
imported little shares that interpreter copy-on-write, so each running container costs about
1 MiB of unique memory instead of a fresh interpreter's 4-5 MiB. The server

* creates each container's stdout/stderr/stdin pipes and keeps its own copy of the read ends,
  so a killed shim does not break the container's output (no SIGPIPE) and the next shim
  continues the same log;
* is a child subreaper: when a shim is killed, the container's PID 1 is re-parented to the
  server, which reaps it and leaves its exit status in ``<run>/containers/<id>/exit.json`` for
  the adopting shim;
* exits when it has had nothing to supervise for a while. If it is killed, the shims and
  containers run on; the next command starts a new server.

Requests: ``spawn`` {id, adopt} (with the write end of a pipe, which the shim closes once it
has started or adopted the container: the caller blocks on it instead of polling),
``release`` {id}, ``ping``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from runtime import daemons
from runtime.container.launch import Security, security_for
from runtime.container.spec import ContainerSpec, Process
from runtime.container.store import ContainerStore
from runtime.linux import libc, seccomp
from runtime.state import StateRoot, write_json
from runtime.supervisor import protocol, shim

IDLE_EXIT = 30.0
PIPE_NAMES = ("out_r", "out_w", "err_r", "err_w", "in_r", "in_w")


class Server:
    def __init__(self, state: StateRoot, ready_fd: int = -1) -> None:
        self.state = state
        self.ready_fd = ready_fd  # closed once the socket listens: the starting command waits on it
        self.shims: dict[int, str] = {}  # shim pid -> container id
        self.pipes: dict[str, dict[str, int]] = {}  # container id -> its pipes
        self.idle_since = time.monotonic()
        self.stop = False
        self.programs: dict[tuple[Any, ...], Security] = {}

    def socket_path(self) -> Path:
        return self.state.run / "supervisor.sock"

    def spawn(self, cid: str, adopt: bool, ready_fd: int = -1) -> int:
        pipes = self.pipes.get(cid)
        if pipes is None:
            pipes = {}
            for stream in ("out", "err"):
                r, w = os.pipe2(os.O_CLOEXEC)
                pipes[f"{stream}_r"], pipes[f"{stream}_w"] = r, w
            self.pipes[cid] = pipes
        pipes = dict(pipes)
        pipes["in_r"], pipes["in_w"] = os.pipe2(os.O_CLOEXEC)
        (self.state.run / "containers" / cid).mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            (self.state.run / "containers" / cid / "exit.json").unlink()
        # decode the record here: the shim inherits the result instead of running the decoder,
        # whose every touched object would be copied into it (about half a MiB)
        record = ContainerStore(self.state).record(cid)
        security = self.security(record.spec)
        gc.collect()
        gc.freeze()  # the shim inherits these objects: a collection there must not touch (copy) their pages
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGCHLD, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            for other, fds in self.pipes.items():
                if other != cid:
                    for fd in fds.values():
                        os.close(fd)
            os.close(self._listener.fileno())
            shim.main(self.state, cid, pipes, adopt=adopt, record=record, security=security, ready_fd=ready_fd)
        self.shims[pid] = cid
        # stdin belongs to the shim alone: it hands the write end to the first attacher, and
        # the container must see end of file when that attacher closes it
        for key in ("in_r", "in_w"):
            fd = pipes.pop(key, None)
            if fd is not None:
                os.close(fd)
        return pid

    def security(self, spec: ContainerSpec) -> Security:
        """Capabilities and seccomp program for ``spec``, generated once per profile (and its
        file's version) and capability set: libseccomp takes tens of milliseconds per program."""
        profile = spec.seccomp if spec.seccomp not in (None, "default") else str(seccomp.DEFAULT_PROFILE)
        try:
            st = os.stat(profile) if profile != "unconfined" else None
        except OSError:
            st = None
        key = (profile, spec.privileged, spec.capabilities, st and (st.st_mtime_ns, st.st_size, st.st_ino))
        if key not in self.programs:
            self.programs[key] = security_for(spec)
        return self.programs[key]

    def release(self, cid: str) -> None:
        for fd in self.pipes.pop(cid, {}).values():
            with contextlib.suppress(OSError):
                os.close(fd)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            cid = self.shims.pop(pid, None)
            if cid is not None:
                if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                    self.release(cid)  # finished cleanly: the container is gone
                continue
            self._orphan_exited(pid, status)

    def _orphan_exited(self, pid: int, status: int) -> None:
        """A container whose shim was killed has exited: leave its status for the next shim."""
        code = os.waitstatus_to_exitcode(status)
        sig = -code if code < 0 else 0
        base = self.state.root / "containers"
        with contextlib.suppress(FileNotFoundError):
            for entry in base.iterdir():
                try:
                    st = json.loads((entry / "state.json").read_text())
                except (OSError, ValueError):
                    continue
                if st.get("pid") == pid:
                    write_json(self.state.run / "containers" / entry.name / "exit.json",
                               {"exit_code": 128 + sig if sig else code, "signal": sig}, sync=False)
                    return

    def handle(self, msg: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        op = msg.get("op")
        if op == "spawn":
            ready_fd = fds[0] if fds else -1
            if ready_fd >= 0:
                os.set_inheritable(ready_fd, False)  # nothing the shim executes may hold it
            return {"ok": True, "pid": self.spawn(msg["id"], bool(msg.get("adopt")), ready_fd)}
        if op == "release":
            self.release(msg["id"])
            return {"ok": True}
        if op == "shutdown":
            if self.shims:
                return {"ok": False, "shims": len(self.shims)}
            self.stop = True
            return {"ok": True}
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "shims": len(self.shims)}
        return {"ok": False, "error": f"unknown request {op!r}"}

    def serve(self) -> None:
        libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        path = self.socket_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        protocol.bind(self._listener, str(path))
        self._listener.listen(64)
        if self.ready_fd >= 0:
            os.close(self.ready_fd)
            self.ready_fd = -1
        rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wfd)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        sel = selectors.DefaultSelector()
        sel.register(rfd, selectors.EVENT_READ, "signal")
        sel.register(self._listener, selectors.EVENT_READ, "listen")
        while True:
            for key, _ in sel.select(5.0):
                if key.data == "signal":
                    with contextlib.suppress(BlockingIOError):
                        os.read(rfd, 512)
                    self.reap()
                else:
                    conn, _ = self._listener.accept()
                    with conn:
                        conn.settimeout(10)
                        fds: list[int] = []
                        try:
                            msg, fds = protocol.receive(conn, bytearray())
                            if msg is not None:
                                protocol.send(conn, self.handle(msg, fds))
                        except Exception as exc:
                            with contextlib.suppress(OSError):
                                protocol.send(conn, {"ok": False, "error": str(exc)})
                        finally:
                            for fd in fds:  # the shim has its own copy of what it needs
                                os.close(fd)
            self.reap()
            if self.stop:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                return
            if self.shims or self.pipes:
                self.idle_since = time.monotonic()
            elif time.monotonic() - self.idle_since > IDLE_EXIT:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                return


def prewarm() -> None:
    """Do once, here, what every shim does first (decode a spec, format a state), so the caches
    and interned objects it creates live in pages the shims share instead of in pages each shim
    copies. (The default seccomp program is generated right after, by ``Server.security``.)"""
    import traceback  # noqa: F401 - shims import it on failure

    from runtime.container.store import ContainerState

    spec = ContainerSpec(process=Process(args=("true",)))
    ContainerSpec.from_json(json.loads(json.dumps(spec.to_json())))
    json.dumps(ContainerState().to_json())


def main(argv: list[str]) -> None:
    """``python -m runtime.supervisor ROOT RUN [READY_FD]``: detach and serve (closing
    READY_FD once listening)."""
    root, run = argv[0], argv[1]
    ready_fd = int(argv[2]) if len(argv) > 2 else -1
    daemons.detach(ready_fd)  # the starter waits for the first child; the server is re-parented away
    prewarm()
    server = Server(StateRoot(Path(root), Path(run)), ready_fd)
    server.security(ContainerSpec(process=Process(args=("true",))))  # the default program, generated once
    server.serve()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
