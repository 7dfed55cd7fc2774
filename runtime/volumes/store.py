"""The volume store: one directory per volume, ``volume.json`` beside its ``_data``.

The ``local`` driver as Docker's: a plain directory by default; with ``driver_opts``
``type``/``o``/``device`` a bind of a host directory (``o: bind``) or a tmpfs, mounted
under the run root when first used and unmounted when the volume is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.errors import NotFound, RuntimeFailure
from runtime.state import StateRoot, read_json, write_json

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
DRIVERS = ("local",)
ANONYMOUS_LABEL = "com.docker.volume.anonymous"


@dataclass(frozen=True)
class VolumeRecord:
    name: str
    driver: str = "local"
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    options: dict[str, str] = field(default_factory=dict, hash=False)
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "driver": self.driver, "labels": dict(self.labels),
                "options": dict(self.options), "created": self.created}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VolumeRecord:
        return cls(data["name"], data.get("driver", "local"), dict(data.get("labels") or {}),
                   dict(data.get("options") or {}), data.get("created", ""))

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS_LABEL in self.labels


class VolumeStore:
    def __init__(self, state: StateRoot) -> None:
        self.state = state
        self.base = state.root / "volumes"
        self.run_base = state.run / "volumes"

    # ---- paths ----------------------------------------------------------------------------------
    def dir(self, name: str) -> Path:
        return self.base / name

    def data_dir(self, name: str) -> Path:
        """Where the volume's content lives on the host (Docker's ``Mountpoint``)."""
        return self.dir(name) / "_data"

    def tmpfs_dir(self, name: str) -> Path:
        return self.run_base / name

    # ---- records --------------------------------------------------------------------------------
    def names(self) -> list[str]:
        try:
            return sorted(p.name for p in self.base.iterdir() if (p / "volume.json").exists())
        except FileNotFoundError:
            return []

    def find(self, name: str) -> VolumeRecord | None:
        try:
            return VolumeRecord.from_json(read_json(self.dir(name) / "volume.json"))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def get(self, name: str) -> VolumeRecord:
        record = self.find(name)
        if record is None:
            raise NotFound(f"no such volume: {name}")
        return record

    def create(self, name: str, *, driver: str = "local", labels: dict[str, str] | None = None,
               options: dict[str, str] | None = None) -> tuple[VolumeRecord, bool]:
        """The volume ``name``, created if missing; (record, created now)."""
        if not NAME_RE.match(name):
            raise RuntimeFailure(f"invalid volume name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        driver = driver or "local"
        if driver not in DRIVERS:
            raise RuntimeFailure(f"volume driver {driver!r} is not supported (only 'local')")
        _check_options(options or {})
        with self.state.lock("volumes"):
            existing = self.find(name)
            if existing is not None:
                return existing, False
            record = VolumeRecord(name, driver, dict(labels or {}), dict(options or {}),
                                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            self.data_dir(name).mkdir(parents=True, exist_ok=True, mode=0o755)
            os.chmod(self.dir(name), 0o701)
            write_json(self.dir(name) / "volume.json", record.to_json())
            return record, True

    def remove(self, name: str) -> None:
        with self.state.lock("volumes"):
            self.get(name)
            self._unmount(name)
            shutil.rmtree(self.dir(name), ignore_errors=True)

    # ---- using a volume -------------------------------------------------------------------------
    def mount_source(self, name: str) -> Path:
        """The host path a container binds for this volume; mounts a tmpfs volume on first use."""
        record = self.get(name)
        kind, device, o = (record.options.get(k, "") for k in ("type", "device", "o"))
        if not kind and not device:
            return self.data_dir(name)
        words = [w for w in o.split(",") if w]
        if "bind" in words or kind == "none":
            source = Path(device)
            if not source.is_dir():
                raise RuntimeFailure(f"volume {name}: failed to mount local volume: no such directory {device}")
            return source
        if kind == "tmpfs":
            target = self.tmpfs_dir(name)
            target.mkdir(parents=True, exist_ok=True, mode=0o755)
            if not os.path.ismount(target):
                args = ["mount", "-t", "tmpfs"] + (["-o", o] if o else []) + ["tmpfs", os.fspath(target)]
                done = subprocess.run(args, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise RuntimeFailure(f"volume {name}: failed to mount tmpfs: {done.stderr.strip()}")
            return target
        raise RuntimeFailure(f"volume {name}: driver option type={kind!r} is not supported (bind or tmpfs)")

    def unmount(self, name: str) -> None:
        """Unmount a tmpfs volume (its content goes, as Docker's does when unused)."""
        with self.state.lock("volumes"):
            self._unmount(name)

    def _unmount(self, name: str) -> None:
        target = self.tmpfs_dir(name)
        if os.path.ismount(target):
            subprocess.run(["umount", "-l", os.fspath(target)], check=False, capture_output=True)
        with contextlib.suppress(OSError):
            target.rmdir()

    def populate(self, name: str, source: Path) -> bool:
        """Copy ``source`` (a directory of the image) into an empty volume, as Docker does; done?"""
        dest = self.mount_source(name)
        with self.state.lock(f"volume-{name}"):  # two replicas mounting it at once copy once
            if not source.is_dir() or any(dest.iterdir()):
                return False
            copy_tree(source, dest)
            return True

    def size(self, name: str) -> int:
        total = 0
        for top, _dirs, files in os.walk(self.mount_source(name)):
            for f in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(top, f)).st_size
        return total


def _check_options(options: dict[str, str]) -> None:
    unknown = sorted(set(options) - {"type", "o", "device", "size"})
    if unknown:
        raise RuntimeFailure(f"invalid option key: {unknown[0]!r}")


def copy_tree(source: Path, dest: Path) -> None:
    """Copy content, ownership, modes and times of ``source`` into the existing ``dest``."""
    st = os.lstat(source)
    os.chown(dest, st.st_uid, st.st_gid)
    os.chmod(dest, st.st_mode & 0o7777)
    for entry in os.scandir(source):
        target = dest / entry.name
        est = entry.stat(follow_symlinks=False)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir(follow_symlinks=False):
            target.mkdir()
            copy_tree(Path(entry.path), target)
        elif entry.is_file(follow_symlinks=False):
            shutil.copyfile(entry.path, target, follow_symlinks=False)
            os.chmod(target, est.st_mode & 0o7777)
        else:
            continue  # devices, fifos and sockets are not copied
        try:
            os.lchown(target, est.st_uid, est.st_gid)
        except OSError as exc:
            if exc.errno != errno.EPERM:
                raise
        with contextlib.suppress(OSError):
            os.utime(target, ns=(est.st_atime_ns, est.st_mtime_ns), follow_symlinks=False)
    with contextlib.suppress(OSError):
        os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))


def inspect_json(store: VolumeStore, record: VolumeRecord) -> dict[str, Any]:
    """Docker's ``volume inspect`` shape."""
    return {
        "CreatedAt": record.created, "Driver": record.driver, "Labels": dict(record.labels) or None,
        "Mountpoint": os.fspath(store.data_dir(record.name)), "Name": record.name,
        "Options": dict(record.options) or None, "Scope": "local",
    }
