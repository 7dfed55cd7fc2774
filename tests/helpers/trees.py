"""Comparing file trees, and a reference rootfs made with GNU tar (an implementation we did not write)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Path -> (type, mode, uid, gid, link target or content hash or device, xattrs) for every entry."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                detail: object = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    detail = hashlib.sha256(f.read()).hexdigest()
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                detail = (os.major(st.st_rdev), os.minor(st.st_rdev))
            else:
                detail = None
            xattrs = () if stat.S_ISLNK(st.st_mode) else tuple(sorted(
                (name, os.getxattr(full, name, follow_symlinks=False)) for name in os.listxattr(full)
                if not name.startswith("trusted.overlay.")))
            out[rel] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, detail, xattrs)
    return out


def gnu_tar_rootfs(layer_files: list[Path], dest: Path) -> Path:
    """Apply layer tarballs in order with GNU tar, handling Docker whiteouts by hand."""
    dest.mkdir(parents=True, exist_ok=True)
    for layer_file in layer_files:
        listing = subprocess.run(["tar", "-tf", str(layer_file)], capture_output=True, text=True, check=True).stdout
        for name in listing.splitlines():
            name = name.rstrip("/")
            base = os.path.basename(name)
            parent = dest / os.path.dirname(name)
            if base == ".wh..wh..opq":
                if parent.is_dir():
                    for child in parent.iterdir():
                        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
            elif base.startswith(".wh."):
                victim = parent / base[4:]
                if victim.is_dir() and not victim.is_symlink():
                    shutil.rmtree(victim)
                elif victim.exists() or victim.is_symlink():
                    victim.unlink()
        subprocess.run(["tar", "-xpf", str(layer_file), "-C", str(dest), "--same-owner", "--numeric-owner",
                        "--xattrs", "--xattrs-include=*", "--exclude=.wh.*", "--exclude=*/.wh.*"], check=True)
    return dest
