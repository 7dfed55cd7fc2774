"""Containers as ``compose`` sees them: create from a spec, start, stop, exec, logs, remove.

The typed facade over ``runtime.container`` (spec, launch, store) and ``runtime.supervisor``.
Every operation first refreshes the container's state: if its supervisor was killed, the
container is re-adopted by a new one (or, if its process is gone too, marked exited with a
note saying what happened), so no command ever acts on stale state.
"""

from __future__ import annotations

import contextlib
import os
import signal as signal_mod
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runtime.container import etcfiles, sysctls
from runtime.container import process as cprocess
from runtime.container.logs import LogEntry, follow, log_files, read_logs, timestamp
from runtime.container.process import ImageProcess, Overrides
from runtime.container.spec import (
    ContainerSpec,
    Device,
    Healthcheck,
    LogConfig,
    Mount,
    Namespace,
    Process,
    Resources,
    RestartPolicy,
    Rlimit,
    User,
)
from runtime.container.store import (
    CREATED,
    EXITED,
    PAUSED,
    RESTARTING,
    RUNNING,
    ContainerRecord,
    ContainerState,
    ContainerStore,
    alive,
    container_cgroup,
    new_id,
    process_start_time,
)
from runtime.errors import Conflict, InvalidState, NotFound, RuntimeFailure
from runtime.linux import cgroups, netns
from runtime.linux.capabilities import DOCKER_DEFAULT as _DEFAULT_CAPS
from runtime.linux.capabilities import resolve as _resolve_caps
from runtime.state import StateRoot, read_json, write_json
from runtime.supervisor import client

START_TIMEOUT = 60.0
NetworkSetup = Callable[[Path], None]
LOST_EXIT_CODE = 255
ZERO_TIME = "0001-01-01T00:00:00Z"


class ContainerStartError(RuntimeFailure):
    """The container's process could not be started; ``exit_code`` is Docker's (126, 127)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ExecError(RuntimeFailure):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class ContainerInfo:
    record: ContainerRecord
    state: ContainerState

    @property
    def status_text(self) -> str:
        """``docker ps`` STATUS column."""
        st = self.state
        if st.status in (RUNNING, PAUSED):
            text = f"Up {_ago(st.started_at)}"
            if st.status == PAUSED:
                text += " (Paused)"
            elif st.health:
                text += f" ({'health: starting' if st.health['Status'] == 'starting' else st.health['Status']})"
            return text
        if st.status == RESTARTING:
            return f"Restarting ({st.exit_code}) {_ago(st.finished_at)} ago"
        if st.status == EXITED:
            return f"Exited ({st.exit_code}) {_ago(st.finished_at)} ago"
        return st.status.capitalize()


def _parse_time(stamp: str) -> float | None:
    if not stamp:
        return None
    import calendar

    head, _, frac = stamp.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))


def _ago(stamp: str) -> str:
    then = _parse_time(stamp)
    if then is None:
        return "unknown"
    secs = max(0, int(time.time() - then))
    if secs < 1:
        return "Less than a second"
    if secs < 60:
        return f"{secs} seconds"
    if secs < 3600:
        return f"{secs // 60} minutes"
    return f"{secs // 3600} hours"


class Containers:
    def __init__(self, state: StateRoot | None = None) -> None:
        self.state = (state or StateRoot.from_env()).ensure()
        self.store = ContainerStore(self.state)
        self.notices: list[str] = []  # what recoveries did during this object's calls, for the user

    # ---- building a spec's process from an image -----------------------------------------------
    @staticmethod
    def build_process(rootfs: Path, image: ImageProcess, overrides: Overrides) -> Process:
        return cprocess.build(rootfs, image, overrides)

    @staticmethod
    def new_id() -> str:
        return new_id()

    # ---- lifecycle ------------------------------------------------------------------------------
    def create(self, spec: ContainerSpec, *, rootfs: Path, cid: str | None = None, name: str | None = None,
               image: str = "", image_id: str = "", rootfs_managed: bool = False,
               auto_remove: bool = False) -> ContainerRecord:
        sysctls.validate(spec)
        cid = cid or new_id()
        if not spec.hostname:
            spec = replace(spec, hostname=cid[:12])
        record = ContainerRecord(id=cid, name=(name or etcfiles.random_name(cid)).lstrip("/"), image=image,
                                 rootfs=os.fspath(rootfs), created=timestamp(), spec=spec, image_id=image_id,
                                 rootfs_managed=rootfs_managed, cgroup_parent=cgroups.parent_name(),
                                 auto_remove=auto_remove)
        self.store.add(record)
        self._write_etc(record)
        return record

    def _write_etc(self, record: ContainerRecord) -> None:
        etcfiles.write(self.store.dir(record.id), record.spec, record.spec.hostname or record.id[:12])

    def start(self, ref: str, *, network_setup: NetworkSetup | None = None) -> ContainerState:
        """Start a created or exited container. ``network_setup(netns_path)`` runs after its
        network namespace exists and before its process does (the network step's hook)."""
        record = self.store.resolve(ref)
        with self.state.lock(f"container-{record.id}"):
            return self._start(record, network_setup)

    def _start(self, record: ContainerRecord, network_setup: NetworkSetup | None) -> ContainerState:
        st = self.refresh(record.id)
        if st.status in (RUNNING, PAUSED, RESTARTING):
            return st
        st.guard("start", record.name)
        if record.rootfs_managed and record.image_id:
            from runtime.api.images import ImageStore

            ImageStore(self.state).prepare_rootfs(record.image_id, record.id)  # remounts it after a reboot
        if record.spec.namespace("network").mode == "private":
            path = netns.create(self.store.netns_path(record.id))
            if network_setup is not None:
                network_setup(path)
        cg = container_cgroup(record)
        cg.create()
        cg.apply(record.spec.resources, device_rules=None if record.spec.privileged else _device_rules(record.spec))
        self.store.update_state(record.id, status=CREATED, error="", restart_count=0, stopped_by_user=False,
                                pid=0, note="")
        shim_pid = client.spawn_shim(self.state, record.id)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            st = self.store.load_state(record.id)
            if st.error and st.status != RUNNING:
                raise ContainerStartError(f"failed to start container {record.name}: {st.error}", st.exit_code)
            if st.status != CREATED:
                return st
            if not alive(shim_pid, 0):
                st = self.store.load_state(record.id)
                if st.status != CREATED or st.error:
                    continue
                err = self.store.run_dir(record.id) / "shim.err"
                detail = err.read_text().strip().splitlines()[-1] if err.exists() else "no details"
                raise RuntimeFailure(f"the supervisor of container {record.name} failed: {detail}")
            time.sleep(0.002)
        raise RuntimeFailure(f"container {record.name} did not start within {START_TIMEOUT:g}s")

    def stop(self, ref: str, *, timeout: float | None = None, signal: str | None = None) -> ContainerState:
        record = self.store.resolve(ref)
        st = self.refresh(record.id)
        if st.status not in (RUNNING, PAUSED, RESTARTING):
            return st
        grace = record.spec.stop_grace_period if timeout is None else timeout
        msg = {"op": "stop", "timeout": grace, "signal": signal or record.spec.stop_signal}
        reply = client.shim_request(self.store.socket_path(record.id), msg, timeout=grace + 30)
        if reply is None:
            self._kill_unsupervised(record, st)
        return self.refresh(record.id)

    def kill(self, ref: str, *, signal: str = "SIGKILL") -> ContainerState:
        record = self.store.resolve(ref)
        st = self.refresh(record.id)
        if st.status not in (RUNNING, PAUSED, RESTARTING):
            raise InvalidState(f"cannot kill container {record.name}: container is not running")
        sig = _signal_name(signal)
        reply = client.shim_request(self.store.socket_path(record.id), {"op": "kill", "signal": sig})
        if reply is None:
            self._kill_unsupervised(record, st)
        if sig == "SIGKILL":
            return self.wait_state(record.id)
        return self.refresh(record.id)

    def restart(self, ref: str, *, timeout: float | None = None) -> ContainerState:
        record = self.store.resolve(ref)
        self.stop(record.id, timeout=timeout)
        self.wait_state(record.id)
        return self.start(record.id)

    def pause(self, ref: str) -> ContainerState:
        return self._freeze(ref, "pause", RUNNING)

    def unpause(self, ref: str) -> ContainerState:
        return self._freeze(ref, "unpause", PAUSED)

    def _freeze(self, ref: str, op: str, needed: str) -> ContainerState:
        record = self.store.resolve(ref)
        st = self.refresh(record.id)
        if st.status != needed:
            raise InvalidState(f"cannot {op} container {record.name}: container is {st.status}")
        reply = client.shim_request(self.store.socket_path(record.id), {"op": op})
        if reply is None or not reply[0].get("ok"):
            raise RuntimeFailure(f"cannot {op} container {record.name}: {reply and reply[0].get('error')}")
        return self.refresh(record.id)

    def wait(self, ref: str) -> int:
        """Block until the container has exited for good; its exit code."""
        record = self.store.resolve(ref)
        return self.wait_state(record.id).exit_code

    def wait_state(self, cid: str) -> ContainerState:
        st = self.refresh(cid)
        while st.status in (RUNNING, PAUSED, RESTARTING):
            reply = client.shim_request(self.store.socket_path(cid), {"op": "wait"}, timeout=None)
            if reply is None:
                time.sleep(0.05)
            st = self.refresh(cid)
        return st

    def remove(self, ref: str, *, force: bool = False) -> str:
        record = self.store.resolve(ref)
        with self.state.lock(f"container-{record.id}"):
            removed = self._remove(record, force)
        with contextlib.suppress(FileNotFoundError):
            (self.state.locks / f"container-{record.id}.lock").unlink()
        return removed

    def _remove(self, record: ContainerRecord, force: bool) -> str:
        st = self.refresh(record.id)
        if st.status in (RUNNING, PAUSED, RESTARTING):
            if not force:
                raise Conflict(f'cannot remove container "/{record.name}": container is {st.status}: '
                               "stop the container before removing or force remove")
            self.kill(record.id)
        self.wait_state(record.id)
        client.server_request(self.state, {"op": "release", "id": record.id})
        container_cgroup(record).remove()
        netns.remove(self.store.netns_path(record.id))
        if record.rootfs_managed:
            from runtime.api.images import ImageStore

            ImageStore(self.state).release_rootfs(record.id)
        self.store.delete(record.id)
        return record.id

    # ---- state and recovery ---------------------------------------------------------------------
    def refresh(self, cid: str) -> ContainerState:
        """The container's state; re-adopts it if its supervisor is gone."""
        st = self.store.load_state(cid)
        if st.status not in (RUNNING, PAUSED, RESTARTING):
            return st
        sock = self.store.socket_path(cid)
        if client.shim_alive(sock):
            return self.store.load_state(cid)
        st = self.store.load_state(cid)  # the shim may just have finished
        if st.status not in (RUNNING, PAUSED, RESTARTING):
            return st
        name = self.store.record(cid).name
        if st.status in (RUNNING, PAUSED) and alive(st.pid, st.pid_start):
            client.spawn_shim(self.state, cid, adopt=True)
            for _ in range(2000):
                if client.shim_alive(sock):
                    break
                time.sleep(0.005)
            self.notices.append(f"container {name}: its supervisor had been killed; a new one took it over "
                                "(it kept running)")
            return self.store.load_state(cid)
        if st.status == RESTARTING:
            self.notices.append(f"container {name}: its supervisor was killed while it waited to restart; "
                                "marked exited, not restarted")
            return self.store.update_state(cid, status=EXITED, pid=0, note="supervisor killed during restart backoff")
        exit_file = self.store.run_dir(cid) / "exit.json"
        if exit_file.exists():
            info = read_json(exit_file)
            self.notices.append(f"container {name}: exited while it had no supervisor; exit code "
                                f"{info['exit_code']} recorded")
            return self.store.update_state(cid, status=EXITED, exit_code=int(info["exit_code"]), pid=0,
                                           finished_at=timestamp(),
                                           note="its supervisor was killed; exit status kept by the server")
        record = self.store.record(cid)
        container_cgroup(record).kill_all()
        self.notices.append(f"container {name}: exited while it had no supervisor; its exit status is lost "
                            f"(recorded as {LOST_EXIT_CODE})")
        return self.store.update_state(cid, status=EXITED, exit_code=LOST_EXIT_CODE, pid=0, finished_at=timestamp(),
                                       note="its supervisor was killed and its exit status is lost")

    def attach(self, ref: str) -> None:
        """Note that this process follows the container in the foreground and will remove it
        itself (``run --rm``); others remove it only if this process is gone."""
        record = self.store.resolve(ref)
        me = os.getpid()
        # a file of its own: state.json belongs to the supervisor while the container runs
        write_json(self.store.dir(record.id) / "attached.json", {"pid": me, "start": process_start_time(me)},
                   sync=False)

    def _attached(self, cid: str) -> bool:
        try:
            info = read_json(self.store.dir(cid) / "attached.json")
        except FileNotFoundError:
            return False
        return alive(int(info["pid"]), int(info["start"]))

    def _kill_unsupervised(self, record: ContainerRecord, st: ContainerState) -> None:
        if alive(st.pid, st.pid_start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(st.pid, signal_mod.SIGKILL)
        container_cgroup(record).kill_all()
        self.store.update_state(record.id, status=EXITED, exit_code=137, pid=0, finished_at=timestamp(),
                                stopped_by_user=True, note="stopped without its supervisor")

    def get(self, ref: str) -> ContainerInfo:
        record = self.store.resolve(ref)
        return ContainerInfo(record, self.refresh(record.id))

    def list(self, *, all: bool = False, labels: dict[str, str] | None = None) -> list[ContainerInfo]:
        """Running containers (all with ``all``), those carrying every label in ``labels``
        (a value of "" matches any value), newest first."""
        out = []
        for record in self.store.records():
            if labels:
                have = dict(record.spec.labels)
                if any(k not in have or (v and have[k] != v) for k, v in labels.items()):
                    continue
            st = self.refresh(record.id)
            if record.auto_remove and st.status == EXITED and not self._attached(record.id):
                # its --rm was not carried out (the command that ran it was killed): do it now
                with contextlib.suppress(NotFound):
                    self.remove(record.id)
                self.notices.append(f"container {record.name}: exited; removed (it was run with --rm)")
                continue
            if all or st.status in (RUNNING, PAUSED, RESTARTING):
                out.append(ContainerInfo(record, st))
        out.sort(key=lambda i: i.record.created, reverse=True)
        return out

    def inspect(self, ref: str) -> dict[str, Any]:
        info = self.get(ref)
        r, st, spec = info.record, info.state, info.record.spec
        state: dict[str, Any] = {
            "Status": st.status, "Running": st.status in (RUNNING, PAUSED), "Paused": st.status == PAUSED,
            "Restarting": st.status == RESTARTING, "OOMKilled": st.oom_killed, "Dead": st.status == "dead",
            "Pid": st.pid, "ExitCode": st.exit_code, "Error": st.error,
            "StartedAt": st.started_at or ZERO_TIME, "FinishedAt": st.finished_at or ZERO_TIME,
        }
        if st.health is not None:
            state["Health"] = st.health
        if st.note:
            state["Note"] = st.note
        state["SupervisorPid"] = st.shim_pid
        return {
            "Id": r.id, "Created": r.created, "Path": spec.process.args[0], "Args": list(spec.process.args[1:]),
            "State": state, "Image": r.image_id, "Name": "/" + r.name, "RestartCount": st.restart_count,
            "LogPath": os.fspath(self.store.log_path(r.id)),
            "HostConfig": {
                "Privileged": spec.privileged, "ReadonlyRootfs": spec.readonly_rootfs,
                "CapAdd": None, "CapDrop": None, "Init": spec.init,
                "RestartPolicy": {"Name": spec.restart.name, "MaximumRetryCount": spec.restart.max_retries},
                "Memory": spec.resources.memory or 0, "PidsLimit": spec.resources.pids_limit,
                "LogConfig": {"Type": spec.log.driver, "Config": {}},
            },
            "Config": {
                "Hostname": spec.hostname or r.id[:12], "User": spec.process.user.name,
                "Env": list(spec.process.env), "Cmd": list(spec.process.args), "Image": r.image,
                "WorkingDir": spec.process.cwd, "Tty": spec.process.terminal, "OpenStdin": spec.process.stdin,
                "Labels": dict(spec.labels), "StopSignal": spec.stop_signal,
            },
            "Capabilities": list(spec.capabilities),
            "Rootfs": r.rootfs,
        }

    def top(self, ref: str) -> list[tuple[int, str]]:
        """(host pid, command line) of every process of a running container."""
        info = self.get(ref)
        out = []
        for pid in container_cgroup(info.record).pids():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    out.append((pid, f.read().replace(b"\0", b" ").decode(errors="replace").strip()))
            except FileNotFoundError:
                continue
        return out

    # ---- logs ------------------------------------------------------------------------------------
    def logs(self, ref: str, *, tail: int | None = None) -> list[LogEntry]:
        record = self.store.resolve(ref)
        return read_logs(self.store.log_path(record.id), tail=tail)

    def follow_logs(self, ref: str, emit: Callable[[LogEntry], None], *, tail: int | None = None,
                    poll: float = 0.05, on_start: Callable[[], None] | None = None) -> None:
        """Emit the existing entries, then new ones until the container has stopped for good.
        ``on_start`` is called once the point between old and new entries is fixed (``attach``
        sends input only then, so no answer to it falls before that point)."""
        record = self.store.resolve(ref)
        path = self.store.log_path(record.id)
        history = [e for old in log_files(path) if old != path for e in read_logs(old)]
        entries, offset, inode = follow(path, 0)  # one read: no entry between history and offset is lost
        backlog = history + entries
        if on_start is not None:
            on_start()
        for entry in backlog if tail is None else backlog[max(0, len(backlog) - tail):] if tail > 0 else []:
            emit(entry)
        pause = 0.005  # short first: new lines of a quick command show at once
        waiter = None  # a "wait" request to the shim: the exit ends a pause at once
        try:
            while True:
                running = self.refresh(record.id).status in (RUNNING, PAUSED, RESTARTING, CREATED)
                entries, offset, inode = follow(path, offset, inode)
                for entry in entries:
                    emit(entry)
                if not running:
                    return
                waiter = client.wait_exit(self.store.socket_path(record.id), waiter, min(poll, pause))
                pause *= 2
        finally:
            if waiter is not None:
                waiter.close()

    # ---- exec ------------------------------------------------------------------------------------
    def exec(self, ref: str, args: tuple[str, ...], *, env: tuple[str, ...] = (), user: str | None = None,
             workdir: str | None = None, tty: bool = False, interactive: bool = False,
             stdio: tuple[int, int, int] | None = None, privileged: bool = False) -> int:
        """Run ``args`` in the running container in the foreground; its exit code.
        ``privileged``: every capability and no seccomp filter for this process only."""
        record = self.store.resolve(ref)
        st = self.refresh(record.id)
        if st.status == PAUSED:
            raise InvalidState(f"container {record.id} is paused, unpause the container before exec")
        if st.status != RUNNING:
            raise InvalidState(f"container {record.id} is not running")
        spec = replace(record.spec, privileged=True) if privileged else record.spec
        proc_user, home = (spec.process.user, None) if user is None else cprocess.resolve_user(
            Path(f"/proc/{st.pid}/root"), user)
        base_env = spec.process.env if home is None else cprocess.merge_env(spec.process.env, (f"HOME={home}",))
        proc = replace(spec.process, args=tuple(args), env=cprocess.merge_env(base_env, env),
                       cwd=workdir or spec.process.cwd, user=proc_user, terminal=tty, stdin=interactive)
        from runtime.container import exec as cexec  # only exec needs the launch machinery
        from runtime.container.launch import security_for

        cg = container_cgroup(record)
        security = security_for(spec)  # here, not in the forked child: no library loading after fork
        in_fd, out_fd, err_fd = stdio or (0, 1, 2)
        if tty:
            master, slave = cexec.open_pty(st.pid)
            try:
                ex = cexec.spawn(spec, st.pid, cg, proc, (slave, slave, slave), tty=True, security=security)
            finally:
                os.close(slave)
            failure = cexec.read_error(ex.error_sock)
            code = cexec.pump_pty(master, ex.pid, in_fd if interactive else None, out_fd)
        else:
            devnull = None
            if not interactive:
                devnull = os.open(os.devnull, os.O_RDONLY)
                in_fd = devnull
            try:
                ex = cexec.spawn(spec, st.pid, cg, proc, (in_fd, out_fd, err_fd), security=security)
            finally:
                if devnull is not None:
                    os.close(devnull)
            failure = cexec.read_error(ex.error_sock)
            code = cexec.wait_child(ex.pid)
        if failure is not None:
            message, exit_code = failure
            raise ExecError(f"exec failed: {message}", exit_code)
        return code

    def attach_stdin(self, ref: str, *, once: bool = True) -> int | None:
        """A writable fd to the container's stdin (or pty), if it was created with one and it is
        still open. ``once`` (``run -i`` attached): closing this fd is the container's end of input.
        Otherwise (``attach``) the container's stdin stays open when this attacher goes."""
        record = self.store.resolve(ref)
        reply = client.shim_request(self.store.socket_path(record.id), {"op": "stdin", "once": once})
        if reply is None:
            return None
        _msg, fds = reply
        return fds[0] if fds else None

    def resize(self, ref: str, rows: int, cols: int) -> None:
        """The size of the container's pseudo-TTY (an attached terminal's); nothing without one."""
        record = self.store.resolve(ref)
        client.shim_request(self.store.socket_path(record.id), {"op": "resize", "rows": rows, "cols": cols})

    def rename(self, ref: str, name: str) -> None:
        """``docker rename``: a new, unused name for the container (running or not)."""
        record = self.store.resolve(ref)
        self.store.rename(record.id, name)

    # ---- the dev mode's sync (runtime/container/sync.py) ------------------------------------------
    def sync(self, ref: str, changes: list[tuple[Path | None, str]]) -> int:
        """Write host files into the container's file system as it sees it (a ``None`` source
        deletes the target); owned by the container's user. The number of paths changed."""
        from runtime.container.sync import SyncChange, apply

        record = self.store.resolve(ref)
        user = record.spec.process.user
        mounts = [(m.destination, m.source) for m in record.spec.mounts if m.type in ("bind", "volume") and m.source]
        return apply(Path(record.rootfs), mounts, [SyncChange(src, dst) for src, dst in changes], user.uid, user.gid)

    # ---- commit and export (runtime/container/commit.py) -----------------------------------------
    def commit(self, ref: str, repo: str | None = None, *, author: str = "", message: str = "",
               changes: tuple[str, ...] = (), pause: bool = True) -> str:
        """``docker commit``: the container's changes as a new image on its image; the image ID.
        A running container is frozen for the time of the commit unless ``pause`` is false."""
        from runtime.container.commit import commit_container
        from runtime.images.store import ImageStore as Store

        record = self.store.resolve(ref)
        with self.state.lock(f"container-{record.id}"):
            frozen = pause and self.refresh(record.id).status == RUNNING
            if frozen:
                self.pause(record.id)
            try:
                image = commit_container(Store(self.state).open(), record, repo=repo, author=author,
                                         message=message, changes=changes)
            finally:
                if frozen:
                    self.unpause(record.id)
        return image.id

    def export(self, ref: str, dest: Path | Any) -> None:
        """``docker export``: the container's whole file system as a tar, to the file ``dest``
        (replaced only once complete) or the binary stream ``dest``; a root filesystem that is
        not mounted is mounted for the time it takes."""
        from runtime.container.commit import export_container
        from runtime.images.store import ImageStore as Store
        from runtime.state import atomic_file

        record = self.store.resolve(ref)
        with self.state.lock(f"container-{record.id}"):
            if not isinstance(dest, Path):
                export_container(Store(self.state), record, dest)
                return
            with atomic_file(dest) as f:
                export_container(Store(self.state), record, f)


def resolve_capabilities(add: tuple[str, ...] = (), drop: tuple[str, ...] = (),
                         privileged: bool = False) -> tuple[str, ...]:
    """Docker's default capabilities with ``cap_add``/``cap_drop`` (``ALL`` works) applied."""
    return _resolve_caps(_DEFAULT_CAPS, add, drop, privileged)


def _signal_name(sig: str | int) -> str:
    if isinstance(sig, int) or str(sig).isdigit():
        return signal_mod.Signals(int(sig)).name
    name = str(sig).upper()
    name = name if name.startswith("SIG") else f"SIG{name}"
    if name not in signal_mod.Signals.__members__:
        raise RuntimeFailure(f"invalid signal: {sig}")
    return name


def _device_rules(spec: ContainerSpec) -> tuple[str, ...]:
    extra = tuple(f"{d.type} {d.major}:{d.minor} {d.permissions}" for d in spec.devices)
    return cgroups.DEFAULT_DEVICE_RULES + extra


__all__ = [
    "ContainerInfo", "ContainerRecord", "ContainerSpec", "ContainerStartError", "ContainerState", "Containers",
    "Device", "ExecError", "Healthcheck", "ImageProcess", "LogConfig", "LogEntry", "Mount", "Namespace",
    "NotFound", "Overrides", "Process", "Resources", "RestartPolicy", "Rlimit", "User", "resolve_capabilities",
]
