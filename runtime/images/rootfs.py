"""Container root filesystems: overlayfs over an image's layer directories.

Per container: ``rootfs/<container-id>/`` under the image store holds ``upper/``, ``work/``
and ``rootfs.json`` (the image and layers it stacks: a root of garbage collection), kept
until the container is removed. The mount point is ``<run>/rootfs/<container-id>``.

When the lower directories do not fit in one mount option string (a page), each is
opened with ``O_PATH`` and named ``/proc/self/fd/N``: overlayfs resolves the names at
mount time, so the mount works for as many layers as overlayfs stacks (500).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import RuntimeFailure
from runtime.images.errors import ImageError
from runtime.linux import libc
from runtime.state import read_json, write_json

_PAGE = os.sysconf("SC_PAGE_SIZE")
_CONTAINER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
MAX_LAYERS = 500  # overlayfs' OVL_MAX_STACK


@dataclass(frozen=True)
class RootfsRecord:
    container_id: str
    image: str
    layers: tuple[str, ...]
    read_only: bool


def _check_id(container_id: str) -> str:
    if not _CONTAINER_ID.match(container_id):
        raise ImageError(f"invalid container ID {container_id!r}")
    return container_id


class RootfsManager:
    def __init__(self, store_root: Path, run_root: Path, empty_dir: Path) -> None:
        self.dir = store_root / "rootfs"
        self.mounts = run_root / "rootfs"
        self.empty = empty_dir

    def container_dir(self, container_id: str) -> Path:
        return self.dir / _check_id(container_id)

    def mountpoint(self, container_id: str) -> Path:
        return self.mounts / _check_id(container_id)

    def record(self, container_id: str) -> RootfsRecord | None:
        try:
            data = read_json(self.container_dir(container_id) / "rootfs.json")
        except FileNotFoundError:
            return None
        return RootfsRecord(container_id, data["image"], tuple(data["layers"]), bool(data["read_only"]))

    def records(self) -> list[RootfsRecord]:
        out = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.dir):
                record = self.record(entry.name)
                if record is not None:
                    out.append(record)
        return out

    def create(self, container_id: str, image: str, layers: tuple[str, ...], read_only: bool) -> RootfsRecord:
        """The container's upper/work dirs and record (kept if they exist)."""
        existing = self.record(container_id)
        if existing is not None:
            if existing.image != image:
                raise ImageError(f"container {container_id} already has a root filesystem of image "
                                 f"{existing.image}")
            return existing
        base = self.container_dir(container_id)
        try:
            base.mkdir()
        except FileNotFoundError:
            base.mkdir(parents=True)
        except FileExistsError:
            pass
        for sub in ("upper", "work"):
            with contextlib.suppress(FileExistsError):
                (base / sub).mkdir()
        # Renamed into place (a killed process leaves the old or the new record) but not
        # fsynced: the record is as durable as the upper dir it describes, whose writes
        # are not synced either, and a prepare stays within a few milliseconds.
        write_json(base / "rootfs.json", {"image": image, "layers": list(layers), "read_only": read_only},
                   sync=False)
        return RootfsRecord(container_id, image, layers, read_only)

    def is_mounted(self, container_id: str) -> bool:
        target = self.mountpoint(container_id)
        try:
            return os.stat(target).st_dev != os.stat(target.parent).st_dev
        except FileNotFoundError:
            return False

    def mount(self, record: RootfsRecord, lower_dirs: list[Path], read_only: bool) -> Path:
        target = self.mountpoint(record.container_id)
        if self.is_mounted(record.container_id):
            return target
        if len(lower_dirs) > MAX_LAYERS:
            raise ImageError(f"image has {len(lower_dirs)} layers; overlayfs stacks at most {MAX_LAYERS}")
        if not lower_dirs:
            lower_dirs = [self.empty]
        try:
            target.mkdir()
        except FileNotFoundError:
            target.mkdir(parents=True)
        except FileExistsError:
            pass
        base = self.container_dir(record.container_id)
        flags = libc.MS_RDONLY if read_only else 0
        tail = f",upperdir={base / 'upper'},workdir={base / 'work'}"
        # overlayfs wants the top layer first
        lowers = [os.fspath(p) for p in reversed(lower_dirs)]
        data = "lowerdir=" + ":".join(lowers) + tail
        fds: list[int] = []
        try:
            if len(data) >= _PAGE:
                fds = [os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in lowers]
                data = "lowerdir=" + ":".join(f"/proc/self/fd/{fd}" for fd in fds) + tail
                if len(data) >= _PAGE:
                    raise ImageError(f"too many layers ({len(lowers)}) for one overlay mount")
            libc.mount("overlay", target, "overlay", flags, data)
        except OSError as exc:
            raise RuntimeFailure(f"cannot mount the root filesystem of {record.container_id}: "
                                 f"{exc.strerror}", errno=exc.errno) from None
        finally:
            for fd in fds:
                os.close(fd)
        return target

    def unmount(self, container_id: str) -> None:
        target = self.mountpoint(container_id)
        while self.is_mounted(container_id):
            try:
                libc.umount(target, libc.UMOUNT_NOFOLLOW)
            except OSError as exc:
                if exc.errno == errno.EBUSY:
                    libc.umount(target, libc.MNT_DETACH | libc.UMOUNT_NOFOLLOW)
                elif exc.errno not in (errno.EINVAL, errno.ENOENT):
                    raise RuntimeFailure(f"cannot unmount {target}: {exc.strerror}", errno=exc.errno) from None
                else:
                    break
        with contextlib.suppress(FileNotFoundError, OSError):
            target.rmdir()

    def release(self, container_id: str, locked: Callable[[], contextlib.AbstractContextManager[object]] | None = None
                ) -> None:
        """Unmount and free the container's upper dir; accepts an already released one.
        ``locked``: the lock to hold while the record is removed."""
        self.unmount(container_id)
        base = self.container_dir(container_id)
        record_path = base / "rootfs.json"
        # the record goes first: a crash mid-removal leaves a dir the next release (or the
        # garbage collection of record-less, unmounted dirs) finishes
        with locked() if locked is not None else contextlib.nullcontext(), contextlib.suppress(FileNotFoundError):
            record_path.unlink()
        shutil.rmtree(base, ignore_errors=True)
