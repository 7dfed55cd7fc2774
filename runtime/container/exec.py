"""Running a process inside a running container (``exec``, healthchecks).

Like the first process, with the container's namespaces joined instead of created: the
forked child joins the container's cgroups and namespaces (by its PID 1's ``/proc/<pid>/ns``),
forks again to land in its PID namespace, and the grandchild takes the same last steps as the
first process (workdir, user, capabilities, no_new_privs, seccomp, exec). The child waits
for the grandchild and exits with its status, so callers just ``waitpid`` the child.

With a tty, the pty comes from the container's own devpts instance (opened through
``/proc/<pid>/root``), so the process sees a ``/dev/pts/N`` that exists inside.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import json
import os
import select
import signal
import socket
import termios
from dataclasses import dataclass

from runtime.container import launch
from runtime.container.spec import ContainerSpec, Process
from runtime.errors import RuntimeFailure
from runtime.linux import libc
from runtime.linux.cgroups import CgroupSet

EXEC_NAMESPACES = (("cgroup", "cgroup"), ("ipc", "ipc"), ("uts", "uts"), ("net", "network"), ("pid", "pid"),
                   ("mnt", "mount"))


@dataclass
class ExecProcess:
    pid: int  # the forked child; its exit status is the process's
    error_sock: socket.socket  # readable: "E<json>" on failure, EOF once exec'd


def open_pty(container_pid: int) -> tuple[int, int]:
    """(master, slave) of a new pty in the container's devpts instance."""
    base = f"/proc/{container_pid}/root/dev/pts"
    master = os.open(f"{base}/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    fcntl.ioctl(master, libc.TIOCSPTLCK, array.array("i", [0]))
    number = array.array("i", [0])
    fcntl.ioctl(master, libc.TIOCGPTN, number)
    slave = os.open(f"{base}/{number[0]}", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    return master, slave


def spawn(spec: ContainerSpec, container_pid: int, cgroup: CgroupSet | None, proc: Process,
          stdio: tuple[int, int, int], *, tty: bool = False, security: launch.Security | None = None,
          ) -> ExecProcess:
    """Start ``proc`` in the container whose PID 1 is ``container_pid``; ``stdio`` fds become 0, 1, 2."""
    parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ns_fds = []
    try:
        for name, kind in EXEC_NAMESPACES:
            if spec.namespace(kind).mode == "host" and kind != "mount":
                continue
            ns_fds.append((os.open(f"/proc/{container_pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC),
                           launch.NS_FLAGS[kind]))
    except OSError as exc:
        for fd, _ in ns_fds:
            os.close(fd)
        parent_sock.close()
        child_sock.close()
        raise RuntimeFailure(f"container process {container_pid} is gone: {exc.strerror}", errno=exc.errno) from None
    pid = os.fork()
    if pid == 0:
        status = 126
        try:
            parent_sock.close()
            status = _child(spec, cgroup, proc, stdio, tty, ns_fds, child_sock, security)
        except BaseException as exc:
            _report(child_sock, exc)
        finally:
            os._exit(status)
    for fd, _ in ns_fds:
        os.close(fd)
    child_sock.close()
    return ExecProcess(pid, parent_sock)


def _report(sock: socket.socket, exc: BaseException) -> None:
    code = exc.exit_code if isinstance(exc, launch.LaunchError) else 126
    message = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.filename else str(exc)
    with contextlib.suppress(OSError):
        sock.sendall(b"E" + json.dumps({"message": message, "exit_code": code}).encode() + b"\n")


def _child(spec: ContainerSpec, cgroup: CgroupSet | None, proc: Process, stdio: tuple[int, int, int], tty: bool,
           ns_fds: list[tuple[int, int]], sock: socket.socket, security: launch.Security | None) -> int:
    # forked from a caller that may have other threads: drop their fds, or their pipes would
    # never see end of file while this process lives
    libc.close_fds_except({0, 1, 2, *stdio, *(fd for fd, _ in ns_fds), sock.fileno()})
    if security is None:
        security = launch.security_for(spec)
    if cgroup is not None:
        with contextlib.suppress(OSError):
            cgroup.join()
    for fd, flag in ns_fds:
        libc.setns(fd, flag)
        os.close(fd)
    os.chdir("/")
    grandchild = os.fork()
    if grandchild == 0:
        try:
            if tty:
                os.setsid()
                fcntl.ioctl(stdio[0], termios.TIOCSCTTY, 0)
            for target, fd in enumerate(stdio):
                os.dup2(fd, target)
            launch.finish(spec, proc, security, sock)
        except BaseException as exc:
            code = exc.exit_code if isinstance(exc, launch.LaunchError) else 126
            _report(sock, exc)
            os._exit(code)
    sock.close()
    for fd in stdio:
        with contextlib.suppress(OSError):
            os.close(fd)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: os.kill(grandchild, s))
    while True:
        try:
            _, status = os.waitpid(grandchild, 0)
            break
        except InterruptedError:
            continue
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def read_error(sock: socket.socket) -> tuple[str, int] | None:
    """Block until the exec succeeded (None) or failed ((message, exit code))."""
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    for line in data.split(b"\n"):
        if line.startswith(b"E"):
            obj = json.loads(line[1:])
            return obj["message"], int(obj["exit_code"])
    return None


def wait_child(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        except InterruptedError:
            continue


def pump_pty(master: int, pid: int, in_fd: int | None, out_fd: int) -> int:
    """Copy between the caller's terminal and the pty until the process exits."""
    import termios
    import tty as tty_mod

    saved = None
    if in_fd is not None and os.isatty(in_fd):
        saved = termios.tcgetattr(in_fd)
        tty_mod.setraw(in_fd)
    try:
        fds = [master] + ([in_fd] if in_fd is not None else [])
        status = None
        while True:
            readable, _, _ = select.select(fds, [], [], 0.05)
            if master in readable:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if data:
                    os.write(out_fd, data)
                elif status is not None:
                    break
            if in_fd is not None and in_fd in readable:
                data = os.read(in_fd, 65536)
                if data:
                    os.write(master, data)
                else:
                    fds.remove(in_fd)
                    with contextlib.suppress(OSError):
                        os.write(master, b"\x04")
            if status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
                    continue
            elif master not in readable:
                break
        return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    finally:
        if saved is not None:
            termios.tcsetattr(in_fd, termios.TCSADRAIN, saved)
        os.close(master)
