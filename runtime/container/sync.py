"""Writing files straight into a container's file system (the dev mode's ``sync``).

A path inside the container is resolved the way the container sees it: under the
destination of one of its bind or volume mounts, it lands in that mount's source; anywhere
else, in its root filesystem (the overlay mounted on the host, so the running container sees
the change at once, without a tar streamed through ``exec``). Every step is resolved inside
its root (``secure_join``): no symlink of the container can send a write elsewhere. Files
keep their mode and get the container user's owner; a deleted source deletes the target
(a directory with everything under it); new directories are made as needed.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runtime.container.rootfs import secure_join


@dataclass(frozen=True)
class SyncChange:
    source: Path | None  # None: the path was deleted on the host
    target: str  # absolute path inside the container


def _root_for(target: str, rootfs: Path, mounts: Iterable[tuple[str, str]]) -> tuple[Path, str]:
    """The host directory holding ``target`` and the path below it."""
    best = ("", "")
    for dest, source in mounts:
        dest = posixpath.normpath(dest)
        if (target == dest or target.startswith(dest.rstrip("/") + "/")) and len(dest) > len(best[0]):
            best = (dest, source)
    if best[0] and os.path.isdir(best[1]):
        return Path(best[1]), posixpath.relpath(target, best[0])
    return rootfs, target.lstrip("/")


def apply(rootfs: Path, mounts: Iterable[tuple[str, str]], changes: Iterable[SyncChange], uid: int, gid: int) -> int:
    """Apply ``changes``; the number of paths written or deleted."""
    mounts = list(mounts)
    done = 0
    for change in changes:
        target = posixpath.normpath("/" + change.target.lstrip("/"))
        root, rel = _root_for(target, rootfs, mounts)
        path = secure_join(root, rel) if rel not in ("", ".") else root
        if change.source is None or not os.path.lexists(change.source):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
                done += 1
            elif os.path.lexists(path):
                os.unlink(path)
                done += 1
            continue
        done += _copy(change.source, root, rel, uid, gid)
    return done


def _makedirs(root: Path, rel: str, uid: int, gid: int) -> Path:
    current, acc = root, ""
    for part in [p for p in rel.split("/") if p]:
        acc = f"{acc}/{part}" if acc else part
        current = secure_join(root, acc)
        if not os.path.lexists(current):
            os.mkdir(current, 0o755)
            os.lchown(current, uid, gid)
    return current


def _copy(source: Path, root: Path, rel: str, uid: int, gid: int) -> int:
    st = os.lstat(source)
    parent = _makedirs(root, posixpath.dirname(rel), uid, gid)
    target = parent / posixpath.basename(rel)
    if stat.S_ISDIR(st.st_mode):
        if os.path.lexists(target) and not os.path.isdir(target):
            os.unlink(target)
        if not os.path.lexists(target):
            os.mkdir(target, stat.S_IMODE(st.st_mode))
            os.lchown(target, uid, gid)
        count = 1
        for entry in sorted(os.listdir(source)):
            count += _copy(source / entry, root, posixpath.join(rel, entry), uid, gid)
        return count
    if os.path.isdir(target) and not os.path.islink(target):
        shutil.rmtree(target)
    tmp = target.with_name(f".{target.name}.pycompose-sync")
    if stat.S_ISLNK(st.st_mode):
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.readlink(source), tmp)
    else:
        shutil.copyfile(source, tmp, follow_symlinks=False)
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
    os.lchown(tmp, uid, gid)
    os.replace(tmp, target)  # readers see the old file or the new one, never half of it
    return 1
