"""Starting a container's first process: fork, namespaces, cgroup, mounts, privileges, exec.

Called by the supervisor (single-threaded, so forking is safe). The sequence:

1. ``fork`` an intermediate child. It joins the container's cgroups, joins the namespaces the
   plan names by path (another container's, or the container's own persistent network
   namespace, which the network step configured before the launch), unshares the private
   ones (mount, uts, ipc, pid, cgroup, and network when no path is given), then forks again
   and exits: the grandchild is PID 1 of the new PID namespace and is re-parented to the
   supervisor, which is a child subreaper.
2. The grandchild builds the filesystem (``rootfs``), sets hostname, sysctls, rlimits and
   oom_score_adj, switches user and groups, limits capabilities, sets no_new_privs, loads the
   seccomp filter and execs the process.

A stream socket reports back: the intermediate writes ``P<pid>``, the grandchild sends the
pty master with ``T`` (when a tty is asked for), and any failure as ``E<json>``. The socket is
close-on-exec, so end of file without an error means the exec succeeded.
"""

from __future__ import annotations

import array
import contextlib
import dataclasses
import fcntl
import json
import os
import resource
import signal
import socket
import termios
from dataclasses import dataclass, field
from pathlib import Path

from runtime.container import rootfs
from runtime.container.rootfs import INIT_PATH
from runtime.container.spec import ContainerSpec, Process
from runtime.errors import RuntimeFailure
from runtime.linux import capabilities, libc, seccomp
from runtime.linux.cgroups import CgroupSet

NS_FLAGS = {
    "mount": libc.CLONE_NEWNS, "uts": libc.CLONE_NEWUTS, "ipc": libc.CLONE_NEWIPC,
    "pid": libc.CLONE_NEWPID, "network": libc.CLONE_NEWNET, "cgroup": libc.CLONE_NEWCGROUP,
}
# order in which existing namespaces are joined (mount last: the paths must stay reachable)
JOIN_ORDER = ("cgroup", "ipc", "uts", "network", "pid", "mount")
EXIT_CANNOT_EXEC = 126
EXIT_NOT_FOUND = 127


@dataclass(frozen=True)
class LaunchPlan:
    spec: ContainerSpec
    rootfs: Path
    etc_files: dict[str, Path] = field(default_factory=dict)  # container path -> host file
    joins: dict[str, str] = field(default_factory=dict)  # namespace kind -> /proc/.../ns/... or netns path
    cgroup: CgroupSet | None = None
    init_binary: str | None = None
    security: tuple[tuple[str, ...], bytes | None] | None = None  # precomputed security_for(spec)


@dataclass
class Launched:
    pid: int  # host pid of the container's PID 1
    pty_master: int | None = None


class LaunchError(RuntimeFailure):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def launch(plan: LaunchPlan, stdio: tuple[int, int, int] | None) -> Launched:
    """Start the container; ``stdio`` are the fds for 0, 1, 2 (None with a tty)."""
    parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        parent_sock.close()
        code = 1
        try:
            _intermediate(plan, stdio, child_sock)
            code = 0
        except BaseException as exc:
            _report(child_sock, exc, EXIT_CANNOT_EXEC)
        finally:
            os._exit(code)
    child_sock.close()
    try:
        return _collect(parent_sock, pid)
    finally:
        parent_sock.close()


def _collect(sock: socket.socket, intermediate: int) -> Launched:
    result = Launched(pid=0)
    buffer = b""
    error: dict | None = None
    while True:
        data, fds = _recv(sock)
        if fds:
            result.pty_master = fds[0]
            for extra in fds[1:]:
                os.close(extra)
        if not data:
            break
        buffer += data
    _, status = os.waitpid(intermediate, 0)
    for line in buffer.split(b"\n"):
        if line.startswith(b"P"):
            result.pid = int(line[1:])
        elif line.startswith(b"E"):
            error = json.loads(line[1:])
    if error is not None or not result.pid:
        if result.pty_master is not None:
            os.close(result.pty_master)
        message = (error or {}).get("message") or f"container init failed (status {status})"
        raise LaunchError(message, (error or {}).get("exit_code", EXIT_CANNOT_EXEC))
    return result


def _recv(sock: socket.socket) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    msg, ancdata, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    return msg, list(fds)


def _report(sock: socket.socket, exc: BaseException, exit_code: int) -> None:
    if isinstance(exc, LaunchError):
        exit_code = exc.exit_code
    if isinstance(exc, OSError):
        message = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    else:
        message = str(exc) or type(exc).__name__
    payload = json.dumps({"message": message, "exit_code": exit_code})
    with contextlib.suppress(OSError):
        sock.sendall(b"E" + payload.encode() + b"\n")


# ---- in the intermediate child ---------------------------------------------------------------
def _intermediate(plan: LaunchPlan, stdio: tuple[int, int, int] | None, sock: socket.socket) -> None:
    spec = plan.spec
    if plan.cgroup is not None:
        plan.cgroup.join()
    fds = {kind: os.open(path, os.O_RDONLY | os.O_CLOEXEC) for kind, path in plan.joins.items()}
    for kind in JOIN_ORDER:
        if kind in fds:
            libc.setns(fds[kind], NS_FLAGS[kind])
            os.close(fds[kind])
    flags = 0
    for ns in spec.namespaces:
        if ns.mode == "private" and ns.kind not in plan.joins:
            flags |= NS_FLAGS[ns.kind]
    flags |= libc.CLONE_NEWNS  # a container always has its own mount namespace
    libc.unshare(flags)
    child = os.fork()
    if child == 0:
        try:
            _container_init(plan, stdio, sock)
        except BaseException as exc:
            _report(sock, exc, EXIT_CANNOT_EXEC)
        os._exit(EXIT_CANNOT_EXEC)
    sock.sendall(b"P%d\n" % child)


# ---- in the container's PID 1, before exec -----------------------------------------------------
def _container_init(plan: LaunchPlan, stdio: tuple[int, int, int] | None, sock: socket.socket) -> None:
    spec = plan.spec
    proc = spec.process
    # everything read from the host (profile, libseccomp) is read before pivot_root hides it
    security = plan.security if plan.security is not None else security_for(spec)
    rootfs.prepare(plan.rootfs, spec, plan.etc_files, plan.init_binary if spec.init else None)
    rootfs.pivot(plan.rootfs)
    if spec.namespace("uts").mode == "private":
        if spec.hostname:
            libc.sethostname(spec.hostname)
        if spec.domainname:
            libc.setdomainname(spec.domainname)
    for key, value in spec.sysctls:
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(value)
    rootfs.protect(spec)
    if proc.terminal:
        _setup_tty(sock)
    elif stdio is not None:
        for target, fd in enumerate(stdio):
            if fd != target:
                os.dup2(fd, target)
    for limit in spec.rlimits:
        name = limit.type.upper()
        name = name if name.startswith("RLIMIT_") else f"RLIMIT_{name}"
        resource.setrlimit(getattr(resource, name), (limit.soft, limit.hard))
    if spec.oom_score_adj is not None:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(spec.oom_score_adj))
    if spec.init:
        proc = dataclasses.replace(proc, args=(INIT_PATH, "--", *proc.args))
    finish(spec, proc, security, sock)


Security = tuple[tuple[str, ...], bytes | None]  # (capabilities, seccomp BPF program or None)


def security_for(spec: ContainerSpec) -> Security:
    """The capabilities and the seccomp program for a process of ``spec`` (read from the host:
    call before pivot_root, or in the supervisor, which caches it per profile and capabilities)."""
    caps = spec.capabilities if not spec.privileged else capabilities.available()
    if spec.seccomp == "unconfined" or spec.privileged:
        return caps, None
    path = seccomp.DEFAULT_PROFILE if spec.seccomp in (None, "default") else spec.seccomp
    return caps, seccomp.program_for(str(path), caps)


def finish(spec: ContainerSpec, proc: Process, security: Security, sock: socket.socket) -> None:
    """The last steps of any container process (first or exec'd): workdir, user, capabilities,
    no_new_privs, seccomp, exec."""
    caps, program = security
    env = dict(item.partition("=")[::2] for item in proc.env)
    os.chdir(_workdir(proc.cwd, proc.user.uid, proc.user.gid))
    executable = _find_executable(proc.args[0], env.get("PATH", ""))
    capabilities.drop_bounding(caps)
    if program is not None and not spec.no_new_privileges:
        seccomp.install_bpf(program)  # needs CAP_SYS_ADMIN, so before the user switch
    _switch_user(proc.user.uid, proc.user.gid, proc.user.additional_gids)
    capabilities.apply(caps)
    if spec.no_new_privileges:
        libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
        if program is not None:
            seccomp.install_bpf(program)
    _close_fds_from(3, keep=sock.fileno())
    _reset_signals()
    os.execve(executable, list(proc.args), env)


def _reset_signals() -> None:
    """Ignored signals survive exec: give the process default dispositions and an empty mask
    (the supervisor ignores SIGTERM and SIGPIPE; Python ignores SIGPIPE)."""
    signal.set_wakeup_fd(-1)
    for sig in range(1, signal.NSIG):
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _workdir(path: str, uid: int, gid: int) -> str:
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
    return path


def _find_executable(name: str, path: str) -> str:
    if "/" in name:
        if not os.path.exists(name):
            raise _not_found(f'exec: "{name}": stat {name}: no such file or directory')
        return name
    for directory in path.split(":"):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise _not_found(f'exec: "{name}": executable file not found in $PATH')


def _not_found(message: str) -> LaunchError:
    return LaunchError(message, EXIT_NOT_FOUND)


def _switch_user(uid: int, gid: int, groups: tuple[int, ...]) -> None:
    libc.prctl(libc.PR_SET_KEEPCAPS, 1)
    os.setgroups(list(groups))
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    libc.prctl(libc.PR_SET_KEEPCAPS, 0)


def _setup_tty(sock: socket.socket) -> None:
    """Open a pty in the container's own devpts, hand the master to the supervisor, and make
    the slave this process's controlling terminal and stdio."""
    master = os.open("/dev/pts/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    fcntl.ioctl(master, libc.TIOCSPTLCK, array.array("i", [0]))
    number = array.array("i", [0])
    fcntl.ioctl(master, libc.TIOCGPTN, number)
    slave = os.open(f"/dev/pts/{number[0]}", os.O_RDWR | os.O_NOCTTY)
    sock.sendmsg([b"T\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [master]))])
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    if slave > 2:
        os.close(slave)


def _close_fds_from(low: int, keep: int) -> None:
    """Mark every fd >= ``low`` close-on-exec except ``keep`` (which already is)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd >= low and fd != keep:
            with contextlib.suppress(OSError):
                os.set_inheritable(fd, False)
    with contextlib.suppress(OSError):
        flags = fcntl.fcntl(keep, fcntl.F_GETFD)
        fcntl.fcntl(keep, fcntl.F_SETFD, flags | fcntl.FD_CLOEXEC)


__all__ = ["LaunchError", "LaunchPlan", "Launched", "Security", "finish", "launch", "security_for"]
