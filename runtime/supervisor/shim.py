"""The per-container supervisor ("shim"): the parent of one container's PID 1.

Forked (not exec'd) by the supervisor server, so it shares the server's interpreter pages
copy-on-write. It starts the container, writes its stdout and stderr to the json-file log,
records every state change in ``state.json``, applies the restart policy, runs the
healthcheck, and answers requests on ``<run>/containers/<id>/shim.sock``:

``state``, ``stop`` (signal, grace period, then SIGKILL), ``kill``, ``pause``, ``unpause``,
``wait`` (reply at the final exit), ``stdin`` (the stdin pipe or pty master, as an fd; with
``once`` false the shim keeps its own copy, so attachers can come and go),
``resize``. A plain ``selectors`` loop with timers: no threads, no trio (lean and fork-safe).

With ``adopt`` the shim takes over a container whose previous shim was killed: it cannot be
its parent any more, so it watches PID 1 through a pidfd and gets the exit status from the
supervisor server, which (as the child subreaper) reaped it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import heapq
import itertools
import os
import selectors
import signal
import socket
import struct
import termios
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from runtime.container import exec as cexec
from runtime.container import health, restart
from runtime.container.launch import LaunchError, LaunchPlan, Security, launch
from runtime.container.logs import LogWriter, timestamp
from runtime.container.spec import ContainerSpec
from runtime.container.store import (
    EXITED,
    PAUSED,
    RESTARTING,
    RUNNING,
    ContainerRecord,
    ContainerStore,
    container_cgroup,
    process_start_time,
)
from runtime.linux import cgroups, libc
from runtime.state import StateRoot, read_json
from runtime.supervisor import protocol

LOST_EXIT_CODE = 255  # the status of a PID 1 reaped outside pycompose is unknowable
INIT_BINARIES = ("/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/libexec/docker/docker-init")


def namespace_joins(store: ContainerStore, record: ContainerRecord) -> dict[str, str]:
    """Namespace kind -> path to join: the container's own netns, or another container's."""
    joins: dict[str, str] = {}
    proc_names = {"ipc": "ipc", "uts": "uts", "network": "net", "pid": "pid", "cgroup": "cgroup"}
    for ns in record.spec.namespaces:
        if ns.mode.startswith("container:"):
            other = store.resolve(ns.mode.partition(":")[2])
            st = store.load_state(other.id)
            if st.status not in (RUNNING, PAUSED) or not st.pid:
                from runtime.errors import InvalidState

                raise InvalidState(f"cannot join {ns.kind} namespace of container {other.name}: it is not running")
            joins[ns.kind] = f"/proc/{st.pid}/ns/{proc_names[ns.kind]}"
        elif ns.kind == "network" and ns.mode == "private" and store.netns_path(record.id).exists():
            joins["network"] = str(store.netns_path(record.id))
    return joins


def etc_files(store: ContainerStore, cid: str) -> dict[str, Path]:
    out = {}
    for name in ("hosts", "hostname", "resolv.conf"):
        path = store.dir(cid) / name
        if path.exists():
            out[f"/etc/{name}"] = path
    return out


def init_binary() -> str | None:
    return next((p for p in INIT_BINARIES if os.path.exists(p)), None)


class Shim:
    def __init__(self, state: StateRoot, cid: str, pipes: dict[str, int], *, adopt: bool = False,
                 record: ContainerRecord | None = None, security: Security | None = None,
                 ready_fd: int = -1) -> None:
        self.security = security
        self.ready_fd = ready_fd  # closed once the container is started (or not): the caller waits on it
        self.store = ContainerStore(state)
        self.record = record or self.store.record(cid)
        self.spec: ContainerSpec = self.record.spec
        self.cid = cid
        self.pipes = pipes  # out_r, out_w, err_r, err_w, in_r, in_w (from the server)
        self.adopt = adopt
        self.sel = selectors.DefaultSelector()
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self.counter = itertools.count()
        self.cgroup = container_cgroup(self.record)
        self.log = LogWriter(self.store.log_path(cid), max_size=self.spec.log.max_size,
                             max_file=self.spec.log.max_file, enabled=self.spec.log.driver != "none")
        self.pid = 0
        self.pidfd = -1
        self.pty: int | None = None
        self.started_mono = 0.0
        self.oom_before = 0
        self.backoff = restart.Backoff()
        self.stopping = False
        self.kill_deadline_timer: int | None = None
        self.waiters: list[socket.socket] = []
        self.health: health.HealthState | None = None
        self.probe: dict[str, Any] | None = None
        self.health_timer: int | None = None
        self.restart_timer: int | None = None
        self.done = False
        self.buffers: dict[socket.socket, bytearray] = {}

    # ---- timers -------------------------------------------------------------------------------
    def call_later(self, delay: float, fn: Callable[[], None]) -> int:
        token = next(self.counter)
        heapq.heappush(self.timers, (time.monotonic() + delay, token, fn))
        return token

    def cancel(self, token: int | None) -> None:
        if token is not None:
            self.timers = [t for t in self.timers if t[1] != token]
            heapq.heapify(self.timers)

    # ---- state --------------------------------------------------------------------------------
    def update(self, **changes: Any) -> None:
        self.store.update_state(self.cid, **changes)

    # ---- the container ------------------------------------------------------------------------
    def start_container(self) -> bool:
        spec = self.spec
        stdio: tuple[int, int, int] | None = None
        if not spec.process.terminal:
            stdin = self.pipes["in_r"] if spec.process.stdin and "in_r" in self.pipes else os.open(
                os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            stdio = (stdin, self.pipes["out_w"], self.pipes["err_w"])
        plan = LaunchPlan(spec=spec, rootfs=Path(self.record.rootfs), etc_files=etc_files(self.store, self.cid),
                          joins=namespace_joins(self.store, self.record), cgroup=self.cgroup,
                          init_binary=init_binary(), security=self.security)
        self.oom_before = self.cgroup.oom_kills()
        try:
            launched = launch(plan, stdio)
        except LaunchError as exc:
            self.update(status=self.store.load_state(self.cid).status if not self.pid else EXITED,
                        error=str(exc), exit_code=exc.exit_code, pid=0)
            return False
        finally:
            if stdio is not None and stdio[0] != self.pipes.get("in_r"):
                os.close(stdio[0])
        self.pid = launched.pid
        self.pidfd = libc.pidfd_open(self.pid)
        if launched.pty_master is not None:
            self.pty = launched.pty_master
            os.set_blocking(self.pty, False)
            self.sel.register(self.pty, selectors.EVENT_READ, ("pty", None))
        self.started_mono = time.monotonic()
        self.update(status=RUNNING, pid=self.pid, pid_start=process_start_time(self.pid), started_at=timestamp(),
                    error="", exit_code=0, oom_killed=False, shim_pid=os.getpid(), stopped_by_user=False)
        self.schedule_health(first=True)
        return True

    def on_exit(self, exit_code: int, signalled: int) -> None:
        ran_for = time.monotonic() - self.started_mono
        oom = signalled == signal.SIGKILL and self.cgroup.oom_kills() > self.oom_before
        self.drain()
        self.pid = 0
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1
        self.cancel(self.health_timer)
        self.cancel(self.kill_deadline_timer)
        with contextlib.suppress(cgroups.RuntimeFailure):
            self.cgroup.kill_all()
        st = self.store.load_state(self.cid)
        stopped = self.stopping or st.stopped_by_user
        if restart.should_restart(self.spec.restart, exit_code, stopped_by_user=stopped,
                                  restart_count=st.restart_count):
            self.backoff = self.backoff.next(ran_for)
            self.update(status=RESTARTING, exit_code=exit_code, finished_at=timestamp(), oom_killed=oom, pid=0)
            self.restart_timer = self.call_later(self.backoff.delay, self.do_restart)
            return
        self.update(status=EXITED, exit_code=exit_code, finished_at=timestamp(), oom_killed=oom, pid=0,
                    stopped_by_user=stopped)
        self.finish()

    def do_restart(self) -> None:
        self.restart_timer = None
        st = self.store.load_state(self.cid)
        self.update(restart_count=st.restart_count + 1)
        if not self.start_container():
            self.finish()

    def finish(self) -> None:
        self.log.close()
        for w in self.waiters:
            with contextlib.suppress(OSError):
                protocol.send(w, self.state_reply())
        self.done = True

    def drain(self) -> None:
        """Read what the container wrote before it exited, and log its last line even without a
        newline now: before the exit is recorded, which is when attached readers stop reading."""
        for key, stream in (("out_r", "stdout"), ("err_r", "stderr")):
            self.read_stream(self.pipes[key], stream, until_empty=True)
        if self.pty is not None:
            self.read_stream(self.pty, "stdout", until_empty=True)
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(self.pty)
            os.close(self.pty)
            self.pty = None
        for stream in ("stdout", "stderr"):
            self.log.flush(stream)

    def read_stream(self, fd: int, stream: str, *, until_empty: bool = False) -> None:
        """Log one read of 64 KiB from ``fd`` (all it holds with ``until_empty``): a container
        writing without pause must not keep the loop from its requests, timers and reaping."""
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.EIO:  # pty with no slave left
                    return
                raise
            if not data:
                return
            self.log.feed(stream, data)
            if not until_empty:
                return

    def state_reply(self) -> dict[str, Any]:
        return {"ok": True, "state": self.store.load_state(self.cid).to_json()}

    # ---- healthchecks -------------------------------------------------------------------------
    def schedule_health(self, first: bool = False) -> None:
        hc = self.spec.healthcheck
        if hc is None or health.probe_argv(hc.test) is None:
            return
        if first:
            self.health = health.HealthState(hc, started_at=time.monotonic())
            self.update(health=self.health.to_json())
        assert self.health is not None
        self.health_timer = self.call_later(self.health.delay(time.monotonic()), self.run_probe)

    def run_probe(self) -> None:
        self.health_timer = None
        if not self.pid or self.spec.healthcheck is None:
            return
        if self.cgroup.frozen():  # paused: no probe (it would freeze too); try again later
            self.schedule_health()
            return
        argv = health.probe_argv(self.spec.healthcheck.test)
        assert argv is not None
        proc = replace(self.spec.process, args=argv, terminal=False, stdin=False)
        r, w = os.pipe2(os.O_CLOEXEC)
        devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        try:
            ex = cexec.spawn(self.spec, self.pid, self.cgroup, proc, (devnull, w, w), security=self.security)
        except Exception as exc:
            os.close(r)
            self.record_probe(timestamp(), -1, f"cannot run healthcheck: {exc}")
            return
        finally:
            os.close(w)
            os.close(devnull)
        ex.error_sock.close()
        os.set_blocking(r, False)
        self.probe = {"pid": ex.pid, "fd": r, "out": bytearray(), "start": timestamp()}
        self.sel.register(r, selectors.EVENT_READ, ("probe", None))
        self.probe["timer"] = self.call_later(self.spec.healthcheck.timeout, self.probe_timeout)

    def probe_timeout(self) -> None:
        if self.probe is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.probe["pid"], signal.SIGTERM)
        self.probe["timed_out"] = True

    def probe_exited(self, code: int) -> None:
        probe, self.probe = self.probe, None
        if probe is None:
            return
        self.cancel(probe.get("timer"))
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(probe["fd"])
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(probe["fd"], 65536):
                probe["out"].extend(chunk)
        os.close(probe["fd"])
        output = probe["out"].decode("utf-8", "replace")
        if probe.get("timed_out"):
            assert self.spec.healthcheck is not None
            code, output = -1, f"Health check exceeded timeout ({self.spec.healthcheck.timeout:g}s)"
        self.record_probe(probe["start"], code, output)

    def record_probe(self, start: str, code: int, output: str) -> None:
        if self.health is None or not self.pid:
            return
        self.health.record(health.Probe(start, timestamp(), code, output), time.monotonic())
        self.update(health=self.health.to_json())
        self.schedule_health()

    # ---- requests -----------------------------------------------------------------------------
    def handle(self, conn: socket.socket, msg: dict[str, Any]) -> bool:
        """Answer ``msg``; False when the reply is deferred (the connection stays open)."""
        op = msg.get("op")
        if op == "state":
            protocol.send(conn, self.state_reply())
        elif op == "stop":
            grace = float(msg.get("timeout", self.spec.stop_grace_period))
            self.stop(grace, msg.get("signal") or self.spec.stop_signal)
            if self.pid or self.restart_timer is not None:
                self.waiters.append(conn)
                return False
            protocol.send(conn, self.state_reply())
        elif op == "kill":
            self.update(stopped_by_user=True)
            self.stopping = True
            if self.restart_timer is not None:
                self.cancel(self.restart_timer)
                self.restart_timer = None
                self.update(status=EXITED)
                self.finish()
            elif self.pid:
                self.signal(msg.get("signal") or "SIGKILL")
                if self.cgroup.frozen():
                    self.cgroup.thaw()  # a frozen process takes its signal only once thawed
                    self.update(status=RUNNING)
            protocol.send(conn, {"ok": True})
        elif op in ("pause", "unpause"):
            if op == "pause":
                self.cgroup.freeze()
                self.update(status=PAUSED)
            else:
                self.cgroup.thaw()
                self.update(status=RUNNING)
            protocol.send(conn, {"ok": True})
        elif op == "wait":
            self.waiters.append(conn)
            return False
        elif op == "stdin":
            fd = self.pty if self.pty is not None else (self.pipes.get("in_w") if self.spec.process.stdin else None)
            protocol.send(conn, {"ok": fd is not None}, [fd] if fd is not None else None)
            if fd is not None and fd == self.pipes.get("in_w") and msg.get("once", True):
                # ``run -i`` attached (Docker's StdinOnce): the attacher owns stdin now, its close is the
                # container's EOF. ``attach`` keeps the shim's copy: detaching leaves stdin open for the next.
                os.close(self.pipes.pop("in_w"))
        elif op == "resize" and self.pty is not None:
            fcntl.ioctl(self.pty, termios.TIOCSWINSZ, struct.pack("HHHH", msg["rows"], msg["cols"], 0, 0))
            protocol.send(conn, {"ok": True})
        else:
            protocol.send(conn, {"ok": False, "error": f"unknown request {op!r}"})
        return True

    def signal(self, name: str | int) -> None:
        sig = signal.Signals[name if str(name).startswith("SIG") else f"SIG{name}"] if isinstance(name, str) else name
        with contextlib.suppress(ProcessLookupError, OSError):
            if self.pidfd >= 0:
                libc.pidfd_send_signal(self.pidfd, int(sig))
            elif self.pid:
                os.kill(self.pid, int(sig))

    def stop(self, timeout: float, sig: str) -> None:
        self.stopping = True
        self.update(stopped_by_user=True)
        if self.restart_timer is not None:
            self.cancel(self.restart_timer)
            self.restart_timer = None
            self.update(status=EXITED)
            self.finish()
            return
        if not self.pid:
            return
        if self.cgroup.frozen():
            self.cgroup.thaw()
        self.signal(sig)
        self.cancel(self.kill_deadline_timer)
        self.kill_deadline_timer = self.call_later(max(0.0, timeout), lambda: self.signal("SIGKILL"))

    # ---- the loop -----------------------------------------------------------------------------
    def serve(self, listener: socket.socket) -> None:
        rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wfd)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self.sel.register(rfd, selectors.EVENT_READ, ("signal", None))
        self.sel.register(listener, selectors.EVENT_READ, ("listen", None))
        for key, stream in (("out_r", "stdout"), ("err_r", "stderr")):
            os.set_blocking(self.pipes[key], False)
            self.sel.register(self.pipes[key], selectors.EVENT_READ, ("stream", stream))
        if self.adopt:
            self.adopt_running()
        elif not self.start_container():
            self.finish()
        self.ready()
        while not self.done:
            timeout = None
            if self.timers:
                timeout = max(0.0, self.timers[0][0] - time.monotonic())
            for key, _ in self.sel.select(timeout):
                kind, extra = key.data
                if kind == "signal":
                    with contextlib.suppress(BlockingIOError):
                        os.read(rfd, 512)
                    self.reap()
                elif kind == "listen":
                    conn, _ = listener.accept()
                    conn.setblocking(True)
                    self.buffers[conn] = bytearray()
                    self.sel.register(conn, selectors.EVENT_READ, ("conn", None))
                elif kind == "conn":
                    self.on_conn(key.fileobj)  # type: ignore[arg-type]
                elif kind == "stream":
                    self.read_stream(key.fd, extra)
                elif kind == "pty":
                    self.read_stream(key.fd, "stdout")
                elif kind == "probe" and self.probe is not None:
                    with contextlib.suppress(BlockingIOError):
                        chunk = os.read(key.fd, 65536)
                        if chunk:
                            self.probe["out"].extend(chunk[: health.MAX_OUTPUT])
                        else:
                            self.sel.unregister(key.fd)
                elif kind == "pidfd":
                    self.adopted_exit()
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, fn = heapq.heappop(self.timers)
                fn()

    def ready(self) -> None:
        """Tell whoever asked for this shim that the container's state is past ``created``."""
        if self.ready_fd >= 0:
            os.close(self.ready_fd)
            self.ready_fd = -1

    def on_conn(self, conn: socket.socket) -> None:
        try:
            msg, fds = protocol.receive(conn, self.buffers[conn])
        except OSError:
            msg, fds = None, []
        for fd in fds:
            os.close(fd)
        keep = False
        if msg is not None:
            try:
                keep = not self.handle(conn, msg)
            except Exception as exc:
                with contextlib.suppress(OSError):
                    protocol.send(conn, {"ok": False, "error": str(exc)})
        if not keep:
            self.sel.unregister(conn)
            self.buffers.pop(conn, None)
            conn.close()
        else:
            self.sel.unregister(conn)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            sig = -code if code < 0 else 0
            code = 128 + sig if sig else code
            if self.probe is not None and pid == self.probe["pid"]:
                self.probe_exited(code)
            elif pid == self.pid:
                self.on_exit(code, sig)

    # ---- adoption -----------------------------------------------------------------------------
    def adopt_running(self) -> None:
        st = self.store.load_state(self.cid)
        self.pid = st.pid
        try:
            self.pidfd = libc.pidfd_open(self.pid)
        except OSError:
            self.pidfd = -1
        if self.pidfd < 0 or process_start_time(self.pid) != st.pid_start:
            self.adopted_exit()
            return
        self.sel.register(self.pidfd, selectors.EVENT_READ, ("pidfd", None))
        self.started_mono = time.monotonic()
        self.update(shim_pid=os.getpid(), note="re-adopted by a new supervisor after the previous one was killed")
        self.schedule_health(first=True)

    def adopted_exit(self) -> None:
        """The adopted PID 1 is gone; its exit status comes from the server that reaped it."""
        exit_file = self.store.run_dir(self.cid) / "exit.json"
        info = None
        for _ in range(200):
            if exit_file.exists():
                info = read_json(exit_file)
                break
            time.sleep(0.01)
        if self.pidfd >= 0:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(self.pidfd)
        code = int(info["exit_code"]) if info else LOST_EXIT_CODE
        sig = int(info.get("signal", 0)) if info else 0
        if info is None:
            self.update(note="exit status lost: the container's PID 1 was reaped outside pycompose")
        self.on_exit(code, sig)


def main(state: StateRoot, cid: str, pipes: dict[str, int], *, adopt: bool,
         record: ContainerRecord | None = None, security: Security | None = None, ready_fd: int = -1) -> None:
    """Entry point in the freshly forked shim process (never returns)."""
    code = 0
    try:
        libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        shim = Shim(state, cid, pipes, adopt=adopt, record=record, security=security, ready_fd=ready_fd)
        path = shim.store.socket_path(cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        protocol.bind(listener, str(path))
        listener.listen(16)
        with open(shim.store.run_dir(cid) / "shim.pid", "w") as f:
            f.write(str(os.getpid()))
        shim.serve(listener)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    except BaseException:
        code = 1
        import traceback

        with contextlib.suppress(OSError), open(state.run / "containers" / cid / "shim.err", "a") as f:
            traceback.print_exc(file=f)
    finally:
        os._exit(code)


__all__ = ["Shim", "main"]
