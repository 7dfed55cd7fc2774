"""The runtime's long-lived helper processes: started on demand, one per run root, found
through a unix socket in it, each exiting by itself once idle.

Two use this: the supervisor server (``runtime.supervisor``) and the link helper
(``runtime.network.linkd``). A helper is started as ``python -S -m MODULE ROOT RUN READY_FD``:
without ``site`` (no start-up hooks of installed packages, ~25 ms here), with this tree and the
given extra directories on ``PYTHONPATH``; it detaches (``detach``) and closes READY_FD once it
listens, which is what the starting command waits on. A killed helper loses nothing: the next
command that finds no answer starts another.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from runtime.errors import RuntimeFailure
from runtime.state import StateRoot
from runtime.supervisor import protocol

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def ping(path: Path, timeout: float = 5.0) -> dict[str, object] | None:
    """The helper's answer to ``ping``; None if nothing answers at ``path``."""
    try:
        reply, _ = protocol.request(str(path), {"op": "ping"}, timeout=timeout)
    except (OSError, ValueError):
        return None
    return reply if reply.get("ok") else None


def ensure(state: StateRoot, module: str, path: Path, *, extra_paths: Sequence[str] = (),
           timeout: float = 60.0) -> Path:
    """The socket of the helper ``module`` at ``path``, starting the helper if none answers."""
    if ping(path):
        return path
    state.ensure()
    with state.lock(f"start-{path.stem}"):
        if ping(path):
            return path
        env = dict(os.environ)
        paths = [str(PROJECT_ROOT), *extra_paths, *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        import subprocess  # only on a cold start: most commands find the helper running

        ready_r, ready_w = os.pipe2(os.O_CLOEXEC)  # the helper closes its end once it listens
        starter = subprocess.Popen(
            [sys.executable, "-S", "-m", module, str(state.root), str(state.run), str(ready_w)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True, pass_fds=(ready_w,), env=env, cwd="/",
        )
        os.close(ready_w)
        try:
            starter.wait()
            wait_closed(ready_r, timeout)
        finally:
            os.close(ready_r)
        for _ in range(1000):
            if ping(path):
                return path
            time.sleep(0.005)
    raise RuntimeFailure(f"the helper {module} did not start (socket {path})")


def shutdown(path: Path, timeout: float = 5.0) -> bool:
    """Ask the helper at ``path`` to exit and wait until its process has; False if it refused
    (the supervisor server does while it has shims) or is still there after ``timeout``."""
    reply = ping(path)
    if reply is None:
        return True
    pid = int(str(reply.get("pid")))
    try:
        answer, _ = protocol.request(str(path), {"op": "shutdown"}, timeout=timeout)
    except (OSError, ValueError):
        answer = {"ok": True}  # it went meanwhile
    if not answer.get("ok"):
        return False
    deadline = time.monotonic() + timeout
    while not _exited(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _exited(pid: int) -> bool:
    """Gone, or a zombie (it is not our child: init reaps it when it gets to it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def wait_closed(fd: int, timeout: float) -> None:
    """Block until every write end of the pipe ``fd`` is closed, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while (left := deadline - time.monotonic()) > 0:
        if poller.poll(left * 1000) and not os.read(fd, 64):
            return


def detach(ready_fd: int) -> None:
    """Become a daemon: the starter's child exits (the starter waits for it), the helper goes
    on in a session of its own, on /dev/null, in /. READY_FD stays open, not inherited."""
    if ready_fd >= 0:
        os.set_inheritable(ready_fd, False)
    if os.fork() != 0:
        os._exit(0)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.chdir("/")
