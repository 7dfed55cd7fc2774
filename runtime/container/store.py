"""Where containers are recorded, and their state machine.

``<root>/containers/<id>/config.json`` holds the record (name, image, rootfs, spec) written
once at create; ``state.json`` holds the live state, written by the container's supervisor
while it runs and by commands otherwise; logs and the generated ``/etc`` files sit beside
them. The run root holds the supervisor's socket (``<run>/containers/<id>/shim.sock``) and
the container's network namespace (``<run>/netns/<id>``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from runtime.container.spec import ContainerSpec
from runtime.errors import Conflict, InvalidState, NotFound
from runtime.linux.cgroups import CgroupSet
from runtime.state import StateRoot, read_json, write_json

CREATED, RUNNING, PAUSED, RESTARTING, EXITED, DEAD, REMOVING = (
    "created", "running", "paused", "restarting", "exited", "dead", "removing")
# status -> the operations allowed in it (guards of the state machine)
ALLOWED: dict[str, frozenset[str]] = {
    CREATED: frozenset({"start", "remove", "kill"}),
    RUNNING: frozenset({"stop", "kill", "pause", "exec", "restart"}),
    PAUSED: frozenset({"unpause", "stop", "kill"}),
    RESTARTING: frozenset({"stop", "kill", "restart"}),
    EXITED: frozenset({"start", "remove", "restart", "stop"}),
    DEAD: frozenset({"remove"}),
    REMOVING: frozenset(),
}
NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@dataclass(frozen=True)
class ContainerRecord:
    id: str
    name: str
    image: str
    rootfs: str
    created: str
    spec: ContainerSpec
    image_id: str = ""
    rootfs_managed: bool = False  # True: the image store prepared it and releases it on removal
    cgroup_parent: str = "pycompose"
    auto_remove: bool = False  # --rm: removed once it has exited, even if the command that ran it is gone

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "spec"}
        data["spec"] = self.spec.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "spec"}
        return cls(spec=ContainerSpec.from_json(data["spec"]), **fields)


@dataclass(frozen=True)
class ContainerState:
    status: str = CREATED
    pid: int = 0
    pid_start: int = 0  # start time of pid (clock ticks) to tell it from a reused pid
    exit_code: int = 0
    started_at: str = ""
    finished_at: str = ""
    oom_killed: bool = False
    error: str = ""
    restart_count: int = 0
    stopped_by_user: bool = False
    shim_pid: int = 0
    health: dict[str, Any] | None = None
    note: str = ""  # what a recovery did, shown by inspect
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerState:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def guard(self, operation: str, name: str) -> None:
        if operation not in ALLOWED.get(self.status, frozenset()):
            raise InvalidState(f"cannot {operation} container {name}: container is {self.status}")


def container_cgroup(record: ContainerRecord) -> CgroupSet:
    return CgroupSet(record.id, parent=record.cgroup_parent)


def new_id() -> str:
    return os.urandom(32).hex()  # what secrets.token_hex does, without importing hmac/hashlib


def process_start_time(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat, 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(data[data.rfind(b")") + 2 :].split()[19])


def alive(pid: int, start: int) -> bool:
    """True if ``pid`` still names the process that started at ``start``."""
    if pid <= 0:
        return False
    now = process_start_time(pid)
    if now == 0 or (start and now != start):
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return data[data.rfind(b")") + 2 :].split()[0] != b"Z"
    except FileNotFoundError:
        return False


class ContainerStore:
    def __init__(self, state: StateRoot) -> None:
        self.state = state
        self.base = state.root / "containers"
        self.run_base = state.run / "containers"

    # paths
    def dir(self, cid: str) -> Path:
        return self.base / cid

    def run_dir(self, cid: str) -> Path:
        return self.run_base / cid

    def log_path(self, cid: str) -> Path:
        return self.dir(cid) / f"{cid}-json.log"

    def socket_path(self, cid: str) -> Path:
        return self.run_dir(cid) / "shim.sock"

    def netns_path(self, cid: str) -> Path:
        return self.state.run / "netns" / cid

    # records
    def ids(self) -> list[str]:
        try:
            return sorted(p.name for p in self.base.iterdir() if (p / "config.json").exists())
        except FileNotFoundError:
            return []

    def add(self, record: ContainerRecord) -> None:
        if not NAME_RE.match(record.name):
            raise Conflict(f"invalid container name {record.name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        with self.state.lock("containers"):
            for cid, name in self._names():
                if name == record.name:
                    raise Conflict(f'container name "{record.name}" is already in use by container "{cid}"')
            self.dir(record.id).mkdir(parents=True, exist_ok=False, mode=0o711)
            write_json(self.dir(record.id) / "config.json", record.to_json())
            self.save_state(record.id, ContainerState())

    def rename(self, cid: str, name: str) -> None:
        """Give the container ``cid`` the unused name ``name`` (its record rewritten atomically)."""
        from dataclasses import replace as _replace

        name = name.lstrip("/")
        if not NAME_RE.match(name):
            raise Conflict(f"invalid container name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        with self.state.lock("containers"):
            for other, existing in self._names():
                if existing == name and other != cid:
                    raise Conflict(f'Error when allocating new name: Conflict. The container name "/{name}" is '
                                   f'already in use by container "{other}". You have to remove (or rename) that '
                                   "container to be able to reuse that name.")
            record = self.record(cid)
            write_json(self.dir(cid) / "config.json", _replace(record, name=name).to_json())

    def records(self) -> list[ContainerRecord]:
        out = []
        for cid in self.ids():
            with contextlib.suppress(FileNotFoundError):
                out.append(self.record(cid))
        return out

    def record(self, cid: str) -> ContainerRecord:
        return ContainerRecord.from_json(read_json(self.dir(cid) / "config.json"))

    def _names(self) -> list[tuple[str, str]]:
        """(id, name) of every container, without decoding whole records."""
        out = []
        for cid in self.ids():
            with contextlib.suppress(FileNotFoundError):
                out.append((cid, read_json(self.dir(cid) / "config.json")["name"]))
        return out

    def resolve(self, ref: str) -> ContainerRecord:
        """A container by full id, name, or unique id prefix (as docker accepts)."""
        if len(ref) == 64 and (self.dir(ref) / "config.json").exists():
            return self.record(ref)
        names = self._names()
        for cid, name in names:
            if name == ref.lstrip("/"):
                return self.record(cid)
        matches = [cid for cid, _ in names if ref and cid.startswith(ref)]
        if len(matches) == 1:
            return self.record(matches[0])
        if len(matches) > 1:
            raise Conflict(f"multiple containers match {ref!r}; give more of the id")
        raise NotFound(f"No such container: {ref}")

    def load_state(self, cid: str) -> ContainerState:
        try:
            return ContainerState.from_json(read_json(self.dir(cid) / "state.json"))
        except FileNotFoundError:
            return ContainerState(status=DEAD, error="state file missing")

    def save_state(self, cid: str, st: ContainerState) -> None:
        write_json(self.dir(cid) / "state.json", st.to_json(), sync=False)

    def update_state(self, cid: str, **changes: Any) -> ContainerState:
        st = replace(self.load_state(cid), **changes)
        self.save_state(cid, st)
        return st

    def delete(self, cid: str) -> None:
        shutil.rmtree(self.dir(cid), ignore_errors=True)
        shutil.rmtree(self.run_dir(cid), ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(self.base)
