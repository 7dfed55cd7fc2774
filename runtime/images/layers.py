"""Unpacking one layer (tar, gzip, zstd, bzip2, xz) into a directory overlayfs can stack.

Docker's whiteouts become overlayfs ones: ``.wh.NAME`` a character device 0/0 named NAME,
``.wh..wh..opq`` the ``trusted.overlay.opaque=y`` attribute on its directory. Hard links,
symlinks, modes, owners, setuid/setgid, sparse files, device nodes, fifos, xattrs and mtimes
are kept.

Hostile archives are refused with :class:`UnsafeArchive`: absolute names, ``..``, a path
through a symlink this layer created (the unpacker tracks what it made and never follows
a symlink), a hard link to something outside the layer or not in it, and truncated or
corrupt streams. The caller unpacks into a scratch directory and removes it on error, so
nothing is left behind.
"""

from __future__ import annotations

import bz2
import contextlib
import errno
import io
import lzma
import os
import shutil
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from runtime.images.content import CHUNK, HashingReader
from runtime.images.errors import UnsafeArchive
from runtime.images.gunzip import GunzipReader

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
WHITEOUT_OPAQUE = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
XATTR_PAX_PREFIX = "SCHILY.xattr."
# xattrs an archive may not set: they would steer overlayfs itself.
_FORBIDDEN_XATTR_PREFIXES = ("trusted.overlay.",)
_ZEROS = bytes(CHUNK)
HOLE_BLOCK = 64 * 1024  # all-zero blocks of this size become holes


def _open_gzip(f: BinaryIO) -> BinaryIO:
    return GunzipReader(f)  # type: ignore[return-value]


def _open_zstd(f: BinaryIO) -> BinaryIO:
    return zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True, closefd=False)  # type: ignore[return-value]


def _open_bzip2(f: BinaryIO) -> BinaryIO:
    return bz2.BZ2File(f, mode="rb")  # type: ignore[return-value]


def _open_xz(f: BinaryIO) -> BinaryIO:
    return lzma.LZMAFile(f, mode="rb")  # type: ignore[return-value]


# magic bytes -> (name, opener)
COMPRESSIONS: tuple[tuple[bytes, str, Callable[[BinaryIO], BinaryIO]], ...] = (
    (b"\x1f\x8b", "gzip", _open_gzip),
    (b"\x28\xb5\x2f\xfd", "zstd", _open_zstd),
    (b"BZh", "bzip2", _open_bzip2),
    (b"\xfd7zXZ\x00", "xz", _open_xz),
)

# exceptions a corrupt or truncated stream raises, from each codec and from tarfile
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, EOFError, zlib.error, zstandard.ZstdError, lzma.LZMAError,
)


def detect(f: BinaryIO) -> str:
    """``gzip``, ``zstd``, ``bzip2``, ``xz`` or ``tar`` by the first bytes (``f`` must peek)."""
    head = f.peek(8)[:8]  # type: ignore[attr-defined]
    for magic, name, _opener in COMPRESSIONS:
        if head.startswith(magic):
            return name
    return "tar"


def decompressed(f: BinaryIO) -> BinaryIO:
    """``f`` (a peekable stream) decompressed according to its magic bytes."""
    if not hasattr(f, "peek"):
        f = io.BufferedReader(f, CHUNK)  # type: ignore[arg-type]
    kind = detect(f)
    for _magic, name, opener in COMPRESSIONS:
        if name == kind:
            return opener(f)
    return f


@dataclass(frozen=True)
class LayerStats:
    diff_id: str
    size: int  # bytes of file content the layer holds


def clean_name(name: str, what: str = "entry") -> str:
    """The relative path of an archive name; absolute names and ``..`` are refused."""
    if name.startswith("/"):
        raise UnsafeArchive(f"{what} {name!r} has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"{what} {name!r} escapes the layer with '..'")
    return "/".join(parts)


class _Unpacker:
    """Unpacks entries into ``root``, tracking every path it made (see module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = os.fspath(root)
        self.kinds: dict[str, str] = {"": "d"}  # rel path -> d(ir) l(ink) f(ile) w(hiteout) o(ther)
        self.mtimes: dict[str, int] = {}
        self.size = 0

    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def ensure_parents(self, rel: str, name: str) -> None:
        cur = ""
        for part in rel.split("/")[:-1]:
            cur = f"{cur}/{part}" if cur else part
            kind = self.kinds.get(cur)
            if kind is None:
                os.mkdir(self.path(cur), 0o755)
                self.kinds[cur] = "d"
            elif kind == "l":
                raise UnsafeArchive(f"entry {name!r} would be written through the symlink {cur!r}")
            elif kind != "d":
                raise UnsafeArchive(f"entry {name!r}: {cur!r} is not a directory")

    def remove(self, rel: str, keep_dir: bool) -> bool:
        """Remove what the layer holds at ``rel``; True when a directory is kept."""
        kind = self.kinds.get(rel)
        if kind is None:
            return False
        if kind == "d":
            if keep_dir:
                return True
            shutil.rmtree(self.path(rel))
            prefix = rel + "/"
            for key in [k for k in self.kinds if k.startswith(prefix)]:
                del self.kinds[key]
                self.mtimes.pop(key, None)
        else:
            os.unlink(self.path(rel))
        del self.kinds[rel]
        return False

    def entry(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        rel = clean_name(member.name)
        base = rel.rpartition("/")[2]
        if base.startswith(WHITEOUT_PREFIX):
            self.whiteout(rel, base, member.name)
            return
        if not rel:
            if not member.isdir():
                raise UnsafeArchive(f"entry {member.name!r} replaces the layer root")
            return
        self.ensure_parents(rel, member.name)
        path = self.path(rel)
        if member.islnk():
            self.hardlink(rel, member)
            return
        kept = self.remove(rel, keep_dir=member.isdir())
        if member.isdir():
            if not kept:
                os.mkdir(path, 0o700)
            self.kinds[rel] = "d"
        elif member.isreg():
            self.write_file(tar, member, path)
            self.kinds[rel] = "f"
        elif member.issym():
            os.symlink(member.linkname, path)
            self.kinds[rel] = "l"
        elif member.ischr() or member.isblk():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
            self.kinds[rel] = "o"
        elif member.isfifo():
            os.mkfifo(path, 0o600)
            self.kinds[rel] = "o"
        else:
            raise UnsafeArchive(f"entry {member.name!r} has an unsupported type {member.type!r}")
        self.metadata(member, path, rel)

    def whiteout(self, rel: str, base: str, name: str) -> None:
        parent = rel.rpartition("/")[0]
        self.ensure_parents(rel, name)
        if base == WHITEOUT_OPAQUE:
            os.setxattr(self.path(parent), OPAQUE_XATTR, b"y", follow_symlinks=False)
            return
        if base.startswith(WHITEOUT_META_PREFIX):
            return  # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): nothing to apply
        target = f"{parent}/{base[len(WHITEOUT_PREFIX):]}" if parent else base[len(WHITEOUT_PREFIX):]
        if target.rpartition("/")[2] in ("", ".", ".."):
            raise UnsafeArchive(f"whiteout {name!r} names no file")
        self.remove(target, keep_dir=False)
        os.mknod(self.path(target), stat.S_IFCHR | 0o000, os.makedev(0, 0))
        self.kinds[target] = "w"

    def hardlink(self, rel: str, member: tarfile.TarInfo) -> None:
        target = clean_name(member.linkname, "hard link target")
        if not target:
            raise UnsafeArchive(f"hard link {member.name!r} points at the layer root")
        self.ensure_parents(target, member.name)
        kind = self.kinds.get(target)
        if kind is None:
            raise UnsafeArchive(f"hard link {member.name!r} points at {member.linkname!r}, which is not in "
                                f"this layer")
        if kind == "d":
            raise UnsafeArchive(f"hard link {member.name!r} points at a directory")
        if target == rel:
            return
        self.remove(rel, keep_dir=False)
        os.link(self.path(target), self.path(rel), follow_symlinks=False)
        self.kinds[rel] = kind

    def write_file(self, tar: tarfile.TarFile, member: tarfile.TarInfo, path: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            src = tar.extractfile(member)
            assert src is not None
            remaining = member.size
            holes = False
            while remaining > 0:
                chunk = src.read(min(CHUNK, remaining))
                if not chunk:
                    raise UnsafeArchive(f"entry {member.name!r} is truncated")
                remaining -= len(chunk)
                holes = _write_sparse(fd, chunk) or holes
            if holes:
                os.ftruncate(fd, member.size)
        finally:
            os.close(fd)
        self.size += member.size

    def metadata(self, member: tarfile.TarInfo, path: str, rel: str) -> None:
        os.chown(path, member.uid, member.gid, follow_symlinks=False)
        symlink = member.issym()
        if not symlink:
            os.chmod(path, member.mode & 0o7777)
        for key, value in member.pax_headers.items():
            if not key.startswith(XATTR_PAX_PREFIX):
                continue
            name = key[len(XATTR_PAX_PREFIX):]
            if name.startswith(_FORBIDDEN_XATTR_PREFIXES):
                continue
            raw = value.encode("utf-8", "surrogateescape")
            try:
                os.setxattr(path, name, raw, follow_symlinks=False)
            except OSError as exc:
                # as Docker does: an attribute this host's filesystem cannot hold is skipped
                if exc.errno not in (errno.EPERM, errno.ENOTSUP):
                    raise UnsafeArchive(f"entry {member.name!r}: cannot set xattr {name}: "
                                        f"{exc.strerror}", errno=exc.errno) from None
        self.mtimes[rel] = int(member.mtime * 1_000_000_000)

    def finish(self) -> None:
        for rel, ns in self.mtimes.items():
            if rel in self.kinds:
                os.utime(self.path(rel), ns=(ns, ns), follow_symlinks=False)


def _write_sparse(fd: int, chunk: bytes) -> bool:
    """Write ``chunk``, seeking over all-zero blocks; True when it left a hole."""
    if chunk != _ZEROS[: len(chunk)]:
        view = memoryview(chunk)
        start = 0
        holes = False
        for pos in range(0, len(chunk), HOLE_BLOCK):
            block = view[pos:pos + HOLE_BLOCK]
            if len(block) == HOLE_BLOCK and block == _ZEROS[:HOLE_BLOCK]:
                _write_all(fd, view[start:pos])
                os.lseek(fd, HOLE_BLOCK, os.SEEK_CUR)
                start = pos + HOLE_BLOCK
                holes = True
        _write_all(fd, view[start:])
        return holes
    os.lseek(fd, len(chunk), os.SEEK_CUR)
    return True


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        member = tar.next()
        if member is None:
            return
        yield member


def unpack(stream: BinaryIO, dest: Path, what: str) -> LayerStats:
    """Unpack the (possibly compressed) layer ``stream`` into the empty directory ``dest``.

    Returns the diff ID (sha256 of the uncompressed tar). On any error the caller must
    remove ``dest``: this function may have written part of it.
    """
    try:
        plain = decompressed(stream)
        hashing = HashingReader(plain)
        unpacker = _Unpacker(dest)
        with tarfile.open(fileobj=hashing, mode="r|", errorlevel=2,  # type: ignore[call-overload]
                          bufsize=CHUNK) as tar:
            for member in _members(tar):
                unpacker.entry(tar, member)
        hashing.drain()
        unpacker.finish()
    except UnsafeArchive as exc:
        raise UnsafeArchive(f"{what}: {exc}") from None
    except STREAM_ERRORS as exc:
        raise UnsafeArchive(f"{what}: corrupt or truncated archive ({exc or type(exc).__name__})") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        raise UnsafeArchive(f"{what}: cannot unpack: {exc.strerror or exc}", errno=exc.errno) from None
    return LayerStats(hashing.digest, unpacker.size)


def remove_tree(path: Path) -> None:
    """Remove an unpacked layer, even its read-only directories."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)
