"""``syncfs(2)``: flush one filesystem, the cheap way to make a whole unpacked tree durable."""

from __future__ import annotations

import ctypes
import os

from runtime.linux.libc import load_library

_libc = load_library("libc.so.6", "c")  # not find_library: it runs ldconfig on every import


def syncfs(path: str | os.PathLike[str]) -> None:
    """Write back every dirty page of the filesystem that holds ``path``."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.syncfs(ctypes.c_int(fd)) == -1:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs: {os.strerror(err)}", os.fspath(path))
    finally:
        os.close(fd)
