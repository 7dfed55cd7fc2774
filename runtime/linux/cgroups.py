"""Control groups for containers, on cgroup v1 (one hierarchy per controller) and v2 (unified).

The layout is ``<hierarchy>/<parent>/<container id>``; ``parent`` is ``pycompose`` unless
``PYCOMPOSE_CGROUP_PARENT`` says otherwise (tests use one parent per test). Every step is
idempotent: creating an existing group or removing a missing one is not an error, so a
re-run after a crash converges.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import RuntimeFailure

DEFAULT_PARENT = "pycompose"
PARENT_LOCK = "/run/pycompose-cgroups.lock"  # shared by every state root on the host
V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio")


@dataclass(frozen=True)
class Resources:
    """What the kernel enforces for one container (None: no limit / kernel default)."""

    memory: int | None = None  # bytes (mem_limit)
    memory_swap: int | None = None  # bytes of memory+swap (memswap_limit); -1 unlimited
    memory_reservation: int | None = None  # bytes (soft limit)
    cpu_quota: int | None = None  # microseconds per period (cpus * period)
    cpu_period: int = 100_000
    cpu_shares: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    pids_limit: int | None = None  # <= 0: unlimited
    devices: tuple[str, ...] = ()  # v1 allow rules, e.g. "c 1:3 rwm"; empty with allow_all_devices False


# Docker's default device allow-list (runc's AllowedDevices): null, zero, full, tty, random,
# urandom, ptmx and pts, /dev/console, mknod of any char/block device.
DEFAULT_DEVICE_RULES: tuple[str, ...] = (
    "c *:* m", "b *:* m",
    "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 5:0 rwm", "c 1:8 rwm", "c 1:9 rwm",
    "c 5:2 rwm", "c 136:* rwm", "c 5:1 rwm", "c 10:200 rwm",
)


def parent_name() -> str:
    return os.environ.get("PYCOMPOSE_CGROUP_PARENT") or DEFAULT_PARENT


def _mounts() -> tuple[dict[str, Path], Path | None]:
    """v1 controller -> mount point, and the cgroup2 mount point (None if absent)."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            fstype, _source, *opts = right.split()
            mountpoint = Path(fields[4])
            if fstype == "cgroup2" and v2 is None:
                v2 = mountpoint
            elif fstype == "cgroup":
                for opt in (opts[0] if opts else "").split(","):
                    if opt in V1_CONTROLLERS and opt not in v1:
                        v1[opt] = mountpoint
    return v1, v2


def unified_mode() -> bool:
    """True on a pure cgroup v2 host (controllers live in the unified hierarchy)."""
    return Path("/sys/fs/cgroup/cgroup.controllers").exists()


class CgroupSet:
    """The cgroup(s) of one container."""

    def __init__(self, name: str, *, parent: str | None = None) -> None:
        self.name = name
        self.parent = parent or parent_name()
        self.v2 = unified_mode()
        if self.v2:
            self.paths = {"unified": Path("/sys/fs/cgroup") / self.parent / name}
        else:
            v1, _ = _mounts()
            self.paths = {c: mp / self.parent / name for c, mp in v1.items()}

    # ---- creation -------------------------------------------------------------------------
    def create(self) -> None:
        with _parent_lock():
            self._create()

    def _create(self) -> None:
        if self.v2:
            root = Path("/sys/fs/cgroup")
            parent = root / self.parent
            parent.mkdir(exist_ok=True)
            wanted = set((root / "cgroup.controllers").read_text().split())
            for directory in (root, parent):
                enable = " ".join(f"+{c}" for c in sorted(wanted & {"cpu", "cpuset", "memory", "pids", "io"}))
                with contextlib.suppress(OSError):
                    (directory / "cgroup.subtree_control").write_text(enable)
        for controller, path in self.paths.items():
            if controller == "cpuset":
                self._init_cpuset(path.parent)
            path.mkdir(parents=True, exist_ok=True)
            if controller == "cpuset":
                self._init_cpuset(path)

    @staticmethod
    def _init_cpuset(path: Path) -> None:
        """v1 cpuset groups start empty: copy cpus and mems from the parent."""
        path.mkdir(exist_ok=True)
        for name in ("cpuset.cpus", "cpuset.mems"):
            mine = path / name
            if not mine.read_text().strip():
                mine.write_text((path.parent / name).read_text().strip() or "0")

    def apply(self, res: Resources, *, device_rules: tuple[str, ...] | None) -> None:
        """Write the limits; ``device_rules`` None means every device is allowed (privileged)."""
        for filename, value in (self._v2_files(res) if self.v2 else self._v1_files(res, device_rules)):
            self._write(filename, value)

    def _v1_files(self, res: Resources, device_rules: tuple[str, ...] | None) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if res.memory_reservation is not None:
            out.append(("memory/memory.soft_limit_in_bytes", str(res.memory_reservation)))
        if res.memory is not None:
            out.append(("memory/memory.limit_in_bytes", str(res.memory)))
            swap = res.memory_swap
            if swap is None:
                swap = res.memory * 2  # Docker: no memswap_limit means swap equal to the memory limit
            if "memory" in self.paths and (self.paths["memory"] / "memory.memsw.limit_in_bytes").exists():
                out.append(("memory/memory.memsw.limit_in_bytes", str(swap)))
        if res.cpu_shares is not None:
            out.append(("cpu/cpu.shares", str(res.cpu_shares)))
        if res.cpu_quota is not None:
            out.append(("cpu/cpu.cfs_period_us", str(res.cpu_period)))
            out.append(("cpu/cpu.cfs_quota_us", str(res.cpu_quota)))
        if res.cpuset_cpus:
            out.append(("cpuset/cpuset.cpus", res.cpuset_cpus))
        if res.cpuset_mems:
            out.append(("cpuset/cpuset.mems", res.cpuset_mems))
        if res.pids_limit is not None:
            out.append(("pids/pids.max", "max" if res.pids_limit <= 0 else str(res.pids_limit)))
        if device_rules is not None and "devices" in self.paths:
            out.append(("devices/devices.deny", "a"))
            out.extend(("devices/devices.allow", rule) for rule in device_rules)
        return out

    @staticmethod
    def _v2_files(res: Resources) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if res.memory_reservation is not None:
            out.append(("unified/memory.low", str(res.memory_reservation)))
        if res.memory is not None:
            out.append(("unified/memory.max", str(res.memory)))
            swap = res.memory_swap if res.memory_swap is not None else res.memory * 2
            out.append(("unified/memory.swap.max", "max" if swap < 0 else str(max(0, swap - res.memory))))
        if res.cpu_shares is not None:
            weight = 1 + ((res.cpu_shares - 2) * 9999) // 262142
            out.append(("unified/cpu.weight", str(max(1, min(10000, weight)))))
        if res.cpu_quota is not None:
            out.append(("unified/cpu.max", f"{res.cpu_quota} {res.cpu_period}"))
        if res.cpuset_cpus:
            out.append(("unified/cpuset.cpus", res.cpuset_cpus))
        if res.cpuset_mems:
            out.append(("unified/cpuset.mems", res.cpuset_mems))
        if res.pids_limit is not None:
            out.append(("unified/pids.max", "max" if res.pids_limit <= 0 else str(res.pids_limit)))
        return out

    def _write(self, filename: str, value: str) -> None:
        controller, _, name = filename.partition("/")
        base = self.paths.get(controller)
        if base is None:
            return
        try:
            (base / name).write_text(value)
        except OSError as exc:
            raise RuntimeFailure(f"cgroup {base / name} = {value}: {exc.strerror}", errno=exc.errno) from None

    # ---- membership -----------------------------------------------------------------------
    def join(self, pid: int = 0) -> None:
        """Move ``pid`` (0: the caller) into every hierarchy of this container."""
        text = str(pid or os.getpid())
        for path in self.paths.values():
            with open(path / "cgroup.procs", "w") as f:
                f.write(text)

    def pids(self) -> list[int]:
        path = self.paths.get("unified") or self.paths.get("pids") or self.paths.get("memory")
        if path is None:
            return []
        try:
            return [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except FileNotFoundError:
            return []

    # ---- state ----------------------------------------------------------------------------
    def oom_kills(self) -> int:
        """How many processes the OOM killer killed in this group."""
        text = self._read("unified/memory.events" if self.v2 else "memory/memory.oom_control")
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def memory_usage(self) -> int:
        text = self._read("unified/memory.current" if self.v2 else "memory/memory.usage_in_bytes")
        return int(text or 0)

    def _read(self, filename: str) -> str:
        controller, _, name = filename.partition("/")
        base = self.paths.get(controller)
        if base is None:
            return ""
        try:
            return (base / name).read_text()
        except OSError:
            return ""

    def freeze(self) -> None:
        self._set_frozen(True)

    def thaw(self) -> None:
        self._set_frozen(False)

    def _set_frozen(self, frozen: bool) -> None:
        if self.v2:
            self._write("unified/cgroup.freeze", "1" if frozen else "0")
            return
        self._write("freezer/freezer.state", "FROZEN" if frozen else "THAWED")
        want = "FROZEN" if frozen else "THAWED"
        for _ in range(1000):
            if self._read("freezer/freezer.state").strip() == want:
                return
            time.sleep(0.002)
        raise RuntimeFailure(f"cgroup freezer did not reach {want}")

    def frozen(self) -> bool:
        if self.v2:
            return "frozen 1" in self._read("unified/cgroup.events")
        return self._read("freezer/freezer.state").strip() == "FROZEN"

    # ---- removal --------------------------------------------------------------------------
    def kill_all(self) -> None:
        """SIGKILL whatever is still in the group (thawing it first so the kill lands)."""
        with contextlib.suppress(RuntimeFailure):
            if self.frozen():
                for pid in self.pids():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.thaw()
        for _ in range(500):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Remove the group(s); processes still inside are killed first."""
        self.kill_all()
        for path in self.paths.values():
            for _ in range(200):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        raise RuntimeFailure(f"cannot remove cgroup {path}: {exc.strerror}", errno=exc.errno) from None
                    time.sleep(0.01)
        # The parent goes with its last child, so nothing of ours stays behind after `down`.
        with _parent_lock():
            remove_parent(self.parent)


@contextlib.contextmanager
def _parent_lock() -> Iterator[None]:
    """Host-wide: creating a child and removing an emptied parent must not interleave."""
    fd = os.open(PARENT_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_parent(parent: str) -> None:
    """Remove an (empty) parent group in every hierarchy; used by tests and cleanup."""
    v1, _ = _mounts()
    roots = [Path("/sys/fs/cgroup")] if unified_mode() else list(dict.fromkeys(v1.values()))
    for root in roots:
        with contextlib.suppress(FileNotFoundError, OSError):
            (root / parent).rmdir()


def leftovers(parent: str) -> list[Path]:
    """Child groups still present under ``parent`` in any hierarchy."""
    v1, _ = _mounts()
    roots = [Path("/sys/fs/cgroup")] if unified_mode() else list(dict.fromkeys(v1.values()))
    out: list[Path] = []
    for root in roots:
        base = root / parent
        if base.is_dir():
            out.extend(p for p in base.iterdir() if p.is_dir())
    return out
