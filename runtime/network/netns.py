"""Network namespaces as files, and running code inside one.

A namespace lives as long as a bind mount of its ``nsfs`` inode exists (a *sandbox*,
as Docker calls it): ``create`` makes one at a path under the run root, ``remove``
unmounts and unlinks it. ``inside(path, fn)`` runs ``fn`` with the calling thread
joined to the namespace (``setns`` is per thread for network namespaces) and returns it
to its own namespace afterwards. Sockets keep the namespace they were created in, so a
netlink or DNS socket made inside can be used from anywhere afterwards.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from runtime.errors import RuntimeFailure
from runtime.linux import libc

T = TypeVar("T")


def inside(path: str | os.PathLike[str], fn: Callable[[], T]) -> T:
    """``fn()`` run in the network namespace at ``path``; its result or its exception.

    The calling thread joins the namespace and returns to its own afterwards (setns of a
    network namespace is per thread, so other threads never notice); no thread or process
    is started, which keeps a container's set-up in the low milliseconds.
    """
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            libc.setns(target, libc.CLONE_NEWNET)
        finally:
            os.close(target)
        try:
            return fn()
        finally:
            libc.setns(home, libc.CLONE_NEWNET)
    finally:
        os.close(home)


def create(path: Path) -> Path:
    """A new, empty network namespace kept alive by a bind mount at ``path`` (idempotent)."""
    if is_netns(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o444, exist_ok=True)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            libc.unshare(libc.CLONE_NEWNET)
            libc.mount(f"/proc/self/task/{threading.get_native_id()}/ns/net", path, None, libc.MS_BIND)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="netns-create")
    thread.start()
    thread.join()
    if failure:
        with contextlib.suppress(OSError):
            path.unlink()
        exc = failure[0]
        raise RuntimeFailure(f"cannot create network namespace {path}: {exc}",
                             errno=getattr(exc, "errno", None)) from exc
    return path


def is_netns(path: Path) -> bool:
    """Whether ``path`` is a mounted network namespace (not just an empty file)."""
    try:
        st = os.stat(path)
        parent = os.stat(path.parent)
    except OSError:
        return False
    # An nsfs bind mount has its own device number, unlike the plain file below it.
    return st.st_dev != parent.st_dev


def remove(path: Path) -> None:
    """Unmount and unlink a namespace file; gone already is fine."""
    try:
        libc.umount(path, libc.MNT_DETACH)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOENT):
            raise RuntimeFailure(f"cannot unmount network namespace {path}: {exc.strerror}",
                                 errno=exc.errno) from None
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def netlink_socket(path: str | os.PathLike[str] | None) -> socket.socket:
    """A NETLINK_ROUTE socket bound to the namespace at ``path`` (None: this one)."""
    if path is None:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
    return inside(path, lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0))


def write_sysctl(name: str, value: str) -> None:
    """Write ``net.x.y`` under /proc/sys for the calling thread's network namespace."""
    if not name.startswith("net.") or ".." in name or "/" in name:
        raise RuntimeFailure(f"sysctl {name} is not a network sysctl")
    target = "/proc/sys/" + name.replace(".", "/")
    try:
        with open(target, "w") as f:
            f.write(value)
    except OSError as exc:
        raise RuntimeFailure(f"sysctl {name}={value}: {exc.strerror}", errno=exc.errno) from None


def read_sysctl(name: str) -> str:
    with open("/proc/sys/" + name.replace(".", "/")) as f:
        return f.read().strip()
