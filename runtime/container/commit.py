"""``container commit`` and ``container export`` on the runtime side.

**Commit** (``docker commit``): the container's overlay upper dir becomes one new layer on
top of its image's (``runtime.build.layer``, ``runtime.build.commit``). The image config is
the container's own, as Docker merges it: the image's config with the container's
environment, command, working directory, user and labels, then the ``--change`` lines
(``runtime.images.changes``). The empty mount points the runtime made for ``/proc``,
``/sys``, ``/dev``, ``/etc/hosts``, ``/etc/hostname`` and ``/etc/resolv.conf`` when the
image lacked them are left out, as Docker keeps them in its init layer, outside the diff.

**Export** (``docker export``): the container's merged root filesystem (the overlay alone,
without the container's own mounts) as one plain tar, written by the same tar writer as
layers: sorted entries, numeric owners, xattrs, hard links.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from runtime.build.commit import HistoryEntry, commit_image
from runtime.build.layer import layer_from_upper, write_tar
from runtime.container.store import ContainerRecord
from runtime.errors import InvalidState, RuntimeFailure
from runtime.images.changes import apply_changes
from runtime.images.records import ImageRecord
from runtime.images.store import ImageStore

# what the runtime creates in a root filesystem to mount over (runtime/container/rootfs.py)
MOUNT_STUBS = frozenset({"proc", "sys", "dev", "etc/hosts", "etc/hostname", "etc/resolv.conf"})
_RUNTIME_ENV = ("HOSTNAME", "HOME", "TERM")  # added to the process, not part of its config


def _command_split(args: tuple[str, ...], entrypoint: list[str] | None) -> tuple[list[str] | None, list[str] | None]:
    """(Entrypoint, Cmd) of a process ``args`` started from an image with ``entrypoint``."""
    entry = list(entrypoint or [])
    if entry and list(args[: len(entry)]) == entry:
        return entrypoint, list(args[len(entry):]) or None
    if entry:  # the entrypoint was overridden: its first word, the rest as arguments
        return [args[0]], list(args[1:]) or None
    return entrypoint, list(args)


def _user(record: ContainerRecord, image_user: str, rootfs: Path) -> str:
    from runtime.container.process import resolve_user

    user = record.spec.process.user
    try:
        expected, _home = resolve_user(rootfs, image_user)
    except RuntimeFailure:
        expected = None
    if expected is not None and (expected.uid, expected.gid) == (user.uid, user.gid):
        return image_user
    return f"{user.uid}:{user.gid}"


def committed_config(image: dict[str, Any], record: ContainerRecord, rootfs: Path) -> dict[str, Any]:
    """The container config of the committed image (Docker's merge of container and image)."""
    out = dict(image)
    proc = record.spec.process
    image_env = {e.partition("=")[0] for e in image.get("Env") or []}
    out["Env"] = [e for e in proc.env if e.partition("=")[0] not in _RUNTIME_ENV or e.partition("=")[0] in image_env]
    entrypoint, cmd = _command_split(proc.args, image.get("Entrypoint"))
    out["Entrypoint"], out["Cmd"] = entrypoint, cmd
    if proc.cwd != (image.get("WorkingDir") or "/"):
        out["WorkingDir"] = proc.cwd
    user = _user(record, str(image.get("User") or ""), rootfs)
    if user or "User" in out:
        out["User"] = user
    labels = {**(image.get("Labels") or {}), **dict(record.spec.labels)}
    if labels:
        out["Labels"] = labels
    return out


def _stub_skip(store: ImageStore, layers: tuple[str, ...], upper: Path) -> Any:
    """Skips the runtime's empty mount points that no layer of the image has."""
    dirs = [store.layers.diff(d) for d in layers]

    def skip(rel: str, st: os.stat_result) -> bool:
        if rel not in MOUNT_STUBS:
            return False
        if stat.S_ISREG(st.st_mode):
            empty = st.st_size == 0
        elif stat.S_ISDIR(st.st_mode):
            with os.scandir(upper / rel) as entries:
                empty = not any(entries)
        else:
            return False
        return empty and not any(os.path.lexists(d / rel) for d in dirs)

    return skip


def commit_container(store: ImageStore, record: ContainerRecord, *, repo: str | None = None, author: str = "",
                     message: str = "", changes: list[str] | tuple[str, ...] = ()) -> ImageRecord:
    """The container's changes as a new image on its image (see the module doc)."""
    fs = store.rootfs.record(record.id) if record.rootfs_managed else None
    if fs is None:
        raise InvalidState(f"container {record.name} runs from a root filesystem directory, not an image: "
                           "nothing to commit")
    base = store.records.get(fs.image)
    if base is None:
        raise InvalidState(f"the image of container {record.name} ({fs.image}) is no longer in the store")
    image_config = store.config(base)
    container_config = committed_config(dict(image_config.raw.get("config") or {}), record, Path(record.rootfs))
    container_config = apply_changes(container_config, list(changes))
    upper = store.rootfs.container_dir(record.id) / "upper"
    created_by = " ".join(record.spec.process.args)
    with store.session() as session:
        layer = layer_from_upper(upper, session.path / "commit", skip=_stub_skip(store, fs.layers, upper))
        history = [HistoryEntry(created_by, False, comment=message, author=author)]
        return commit_image(store, base.id, [layer], container_config, history, [repo] if repo else [],
                            author=author, comment=message)


def export_container(store: ImageStore, record: ContainerRecord, out: BinaryIO) -> None:
    """Write the container's merged root filesystem as a tar to ``out`` (mounted for the time
    it takes if it is not mounted)."""
    if record.rootfs_managed:
        if store.rootfs.record(record.id) is None:
            raise InvalidState(f"container {record.name} has no root filesystem")
        mounted = store.rootfs.is_mounted(record.id)
        root = store.prepare_rootfs(record.image_id, record.id) if not mounted else store.rootfs.mountpoint(record.id)
        try:
            write_tar(root, out)
        finally:
            if not mounted:
                store.unmount_rootfs(record.id)
        return
    write_tar(Path(record.rootfs), out)
