"""Paths inside a root file system, resolved as the container would resolve them.

Apart from :mod:`runtime.container.rootfs` so that the builder's copies can use it without
loading the container specification.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def secure_join(root: Path, path: str) -> Path:
    """``root/path`` with every symlink resolved as if ``root`` were ``/`` (no escape)."""
    parts = [p for p in path.split("/") if p and p != "."]
    current = root
    seen = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = current.parent if current != root else root
            continue
        candidate = current / part
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            current = candidate
            continue
        if stat.S_ISLNK(st.st_mode):
            seen += 1
            if seen > 40:
                raise OSError(errno.ELOOP, "too many symlinks", str(candidate))
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = root
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        current = candidate
    return current
