"""``syncfs(2)``: flush one filesystem, the cheap way to make a whole unpacked tree durable."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def syncfs(path: str | os.PathLike[str]) -> None:
    """Write back every dirty page of the filesystem that holds ``path``."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.syncfs(ctypes.c_int(fd)) == -1:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs: {os.strerror(err)}", os.fspath(path))
    finally:
        os.close(fd)
