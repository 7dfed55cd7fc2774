"""Persistent network namespaces: a namespace kept alive by a bind mount of its nsfs file.

Each container gets one at ``<run>/netns/<id>`` before its process starts, so the network
step can configure it (veth, addresses, routes) before the process runs, and a restarted
container keeps its network.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import struct
from pathlib import Path

from runtime.linux import libc

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def create(path: Path) -> Path:
    """Create a new, empty network namespace pinned at ``path`` (idempotent).

    Forks a helper that runs only already-imported code (safe from a threaded caller)."""
    if path.exists() and is_mounted(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            libc.close_fds_except({0, 1, 2, ready_w, done_r})
            libc.unshare(libc.CLONE_NEWNET)
            loopback_up()
            os.write(ready_w, b"1")
            os.read(done_r, 1)  # stay until the parent has bind-mounted our namespace
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(done_r)
    try:
        if os.read(ready_r, 1) != b"1":
            raise OSError(errno.EPERM, "cannot create a network namespace")
        libc.mount(f"/proc/{pid}/ns/net", path, None, libc.MS_BIND)
        os.write(done_w, b"1")  # a byte, not end of file: copies of done_w may live in other forks
    finally:
        os.close(ready_r)
        os.close(done_w)
        os.waitpid(pid, 0)
    return path


def loopback_up() -> None:
    """Bring ``lo`` up in this process's network namespace (as Docker's containers have it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def is_mounted(path: Path) -> bool:
    target = os.fsencode(os.path.realpath(path))
    with open("/proc/self/mountinfo", "rb") as f:
        return any(line.split()[4] == target for line in f)


def remove(path: Path) -> None:
    """Unpin and delete (idempotent)."""
    with contextlib.suppress(OSError):
        while is_mounted(path):
            libc.umount(path, libc.MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
