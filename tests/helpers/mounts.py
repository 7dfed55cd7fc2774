"""Mounts a test left behind, found (and removed) by the fixtures in ``tests/conftest.py``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root``, deepest first."""
    prefix = os.fspath(root).rstrip("/") + "/"
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = _unescape(line.split()[4])
            if point.startswith(prefix) or point == prefix.rstrip("/"):
                out.append(point)
    return sorted(out, key=len, reverse=True)


def unmount_all(root: Path) -> list[str]:
    """Detach every mount below ``root``; returns what was mounted."""
    from runtime.linux import libc

    found = mounts_under(root)
    for point in found:
        with contextlib.suppress(OSError):
            libc.umount(point, libc.MNT_DETACH)
    return found
