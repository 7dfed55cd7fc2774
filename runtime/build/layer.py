"""An overlayfs upper directory as a reproducible OCI layer (the inverse of ``images.layers``).

The tar is written header by header (``TarInfo.tobuf``, PAX format) so its bytes depend
only on the tree: entries depth first with each directory's names sorted, numeric owners
with empty user and group names, whole-second mtimes (clamped to ``SOURCE_DATE_EPOCH``
when one is given), no access or change times, extended attributes in sorted order, and
the end of the archive as two zero blocks without record padding (as Go's archive/tar).

overlayfs' own markers become the OCI spec's: a whiteout (a character device 0/0, or a
file carrying ``trusted.overlay.whiteout``) becomes an empty ``.wh.<name>``; a directory
marked ``trusted.overlay.opaque=y`` gets ``.wh..wh..opq`` as its first entry. Hard links
between files of the layer are kept (the first path holds the content); sockets are
skipped, as Docker skips them; ``trusted.overlay.*`` attributes are never written.

The compressed stream (gzip with mtime 0 and no file name, its blocks deflated side by side by
:mod:`runtime.images.gzip_writer`; or zstd) is written to a file
in ``dest_dir`` while both digests are computed: the diff ID over the tar, the digest
over the blob.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tarfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runtime.images.content import CHUNK
from runtime.images.errors import ImageError
from runtime.images.gzip_writer import ParallelGzipWriter
from runtime.images.layers import OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX, XATTR_PAX_PREFIX
from runtime.images.manifest import OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD
from runtime.state import fsync_dir

BLOCK = tarfile.BLOCKSIZE
WHITEOUT_XATTR = "trusted.overlay.whiteout"  # kernels >= 6.7 ("xwhiteouts")
METACOPY_XATTR = "trusted.overlay.metacopy"
_OVERLAY_XATTRS = "trusted.overlay."
MEDIA_TYPES = {"gzip": OCI_LAYER_GZIP, "zstd": OCI_LAYER_ZSTD, "none": OCI_LAYER}
GZIP_LEVEL = 6  # Go's and zlib's default: a layer is written once per build step
ZSTD_LEVEL = 3
Skip = Callable[[str, os.stat_result], bool]


@dataclass(frozen=True)
class LayerBlob:
    path: Path  # the compressed (or plain) blob
    digest: str  # sha256 of the blob
    diff_id: str  # sha256 of the uncompressed tar
    size: int  # bytes of the blob
    media_type: str
    empty: bool  # the upper dir held nothing


class _Hashing:
    """A write-only stream that hashes and counts what passes to ``out``."""

    def __init__(self, out: BinaryIO | _Compressor) -> None:
        self.out = out
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> int:
        self.hasher.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def digest(self) -> str:
        return f"sha256:{self.hasher.hexdigest()}"


class _Compressor:
    """gzip / zstd / nothing around the hashed blob file."""

    def __init__(self, kind: str, out: _Hashing) -> None:
        self.kind = kind
        self.out = out
        self._gzip: ParallelGzipWriter | None = None
        self._zstd = None
        if kind == "gzip":
            self._gzip = ParallelGzipWriter(out, GZIP_LEVEL)
        elif kind == "zstd":
            import zstandard

            self._zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(out, closefd=False)  # type: ignore[arg-type]
        elif kind != "none":
            raise ImageError(f"unsupported layer compression {kind!r} (use gzip, zstd or none)")

    def write(self, data: bytes | memoryview) -> int:
        if self._gzip is not None:
            return self._gzip.write(data)
        if self._zstd is not None:
            return self._zstd.write(data)
        return self.out.write(data)

    def close(self) -> None:
        if self._gzip is not None:
            self._gzip.close()
        if self._zstd is not None:
            self._zstd.close()

    def abort(self) -> None:
        if self._gzip is not None:
            self._gzip.abort()


class _TarWriter:
    """Walks ``root`` and writes its entries (see the module doc)."""

    def __init__(self, root: Path, out: _Hashing | _Plain, epoch: int | None, skip: Skip | None) -> None:
        self.root = os.fspath(root)
        self.out = out
        self.epoch = epoch
        self.skip = skip
        self.links: dict[tuple[int, int], str] = {}
        self.count = 0

    def _mtime(self, st: os.stat_result) -> int:
        seconds = int(st.st_mtime)
        return min(seconds, self.epoch) if self.epoch is not None else seconds

    def _header(self, info: tarfile.TarInfo) -> None:
        info.uname = info.gname = ""
        self.out.write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        self.count += 1

    def _info(self, rel: str, st: os.stat_result, kind: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(rel)
        info.type = kind
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.mtime = self._mtime(st)
        return info

    def _whiteout(self, rel: str, st: os.stat_result) -> None:
        parent, _, base = rel.rpartition("/")
        name = f"{parent}/{WHITEOUT_PREFIX}{base}" if parent else f"{WHITEOUT_PREFIX}{base}"
        info = self._info(name, st, tarfile.REGTYPE)
        info.mode = 0o600
        self._header(info)

    def walk(self) -> None:
        self._dir("", self.root)
        self.out.write(bytes(2 * BLOCK))

    def _dir(self, rel: str, path: str) -> None:
        try:
            names = sorted(os.listdir(path), key=os.fsencode)
        except OSError as exc:
            raise ImageError(f"cannot read {path}: {exc.strerror}", errno=exc.errno) from None
        for name in names:
            child_rel = f"{rel}/{name}" if rel else name
            child = f"{path}/{name}"
            st = os.lstat(child)
            if self.skip is not None and self.skip(child_rel, st):
                continue
            self._entry(child_rel, child, st)

    def _entry(self, rel: str, path: str, st: os.stat_result) -> None:
        mode = st.st_mode
        xattrs = _xattrs(path) if not stat.S_ISLNK(mode) else {}
        if stat.S_ISCHR(mode) and st.st_rdev == 0:
            self._whiteout(rel, st)
            return
        if WHITEOUT_XATTR in xattrs and stat.S_ISREG(mode) and st.st_size == 0:
            self._whiteout(rel, st)
            return
        if METACOPY_XATTR in xattrs:
            raise ImageError(f"{path}: a metadata-only copy (overlayfs metacopy) has no data to archive")
        if stat.S_ISSOCK(mode):
            return
        if stat.S_ISREG(mode) and st.st_nlink > 1:
            first = self.links.get((st.st_dev, st.st_ino))
            if first is not None:
                info = self._info(rel, st, tarfile.LNKTYPE)
                info.linkname = first
                self._with_xattrs(info, xattrs)
                return
            self.links[(st.st_dev, st.st_ino)] = rel
        if stat.S_ISDIR(mode):
            info = self._info(rel, st, tarfile.DIRTYPE)
            self._with_xattrs(info, xattrs)
            if xattrs.get(OPAQUE_XATTR) == b"y":
                marker = self._info(f"{rel}/{WHITEOUT_OPAQUE}", st, tarfile.REGTYPE)
                marker.mode = info.mode & 0o777
                self._header(marker)
            self._dir(rel, path)
        elif stat.S_ISREG(mode):
            info = self._info(rel, st, tarfile.REGTYPE)
            info.size = st.st_size
            self._with_xattrs(info, xattrs)
            self._content(path, st.st_size)
        elif stat.S_ISLNK(mode):
            info = self._info(rel, st, tarfile.SYMTYPE)
            info.linkname = os.readlink(path)
            self._header(info)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info = self._info(rel, st, tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE)
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            self._with_xattrs(info, xattrs)
        elif stat.S_ISFIFO(mode):
            self._with_xattrs(self._info(rel, st, tarfile.FIFOTYPE), xattrs)

    def _with_xattrs(self, info: tarfile.TarInfo, xattrs: dict[str, bytes]) -> None:
        for name in sorted(xattrs):
            if not name.startswith(_OVERLAY_XATTRS):
                info.pax_headers[XATTR_PAX_PREFIX + name] = xattrs[name].decode("utf-8", "surrogateescape")
        self._header(info)

    def _content(self, path: str, size: int) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            remaining = size
            while remaining > 0:
                chunk = os.read(fd, min(CHUNK, remaining))
                if not chunk:
                    raise ImageError(f"{path} shrank while it was archived")
                self.out.write(chunk)
                remaining -= len(chunk)
        finally:
            os.close(fd)
        pad = -size % BLOCK
        if pad:
            self.out.write(bytes(pad))


def _xattrs(path: str) -> dict[str, bytes]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EPERM):
            return {}
        raise
    out = {}
    for name in names:
        with contextlib.suppress(FileNotFoundError, OSError):
            out[name] = os.getxattr(path, name, follow_symlinks=False)
    return out


class _Plain:
    """A write-only stream over ``out`` (no hashing)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, data: bytes | memoryview) -> int:
        self.out.write(data)
        return len(data)


def write_tar(root: Path, out: BinaryIO, *, epoch: int | None = None, skip: Skip | None = None) -> int:
    """The tree under ``root`` as one plain tar on ``out`` (same rules as layers; whiteouts
    and opaque markers only appear if ``root`` is an upper dir). Returns the entry count."""
    writer = _TarWriter(root, _Plain(out), epoch, skip)
    writer.walk()
    return writer.count


def layer_from_upper(upper: Path, dest_dir: Path, *, epoch: int | None = None,
                     compression: str = "gzip", skip: Skip | None = None) -> LayerBlob:
    """Archive the upper dir ``upper`` into a new file in ``dest_dir`` (see the module doc).

    ``skip(relpath, lstat)`` leaves an entry (and all under it) out of the layer.
    The blob is fsynced; on error nothing is left in ``dest_dir``.
    """
    if compression not in MEDIA_TYPES:
        raise ImageError(f"unsupported layer compression {compression!r} (use gzip, zstd or none)")
    if not os.path.isdir(upper):
        raise ImageError(f"{upper} is not a directory")
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".layer-{uuid.uuid4().hex[:12]}"
    compressor: _Compressor | None = None
    try:
        with open(tmp, "wb") as f:
            blob = _Hashing(f)
            compressor = _Compressor(compression, blob)
            diff = _Hashing(compressor)
            writer = _TarWriter(upper, diff, epoch, skip)
            writer.walk()
            compressor.close()
            f.flush()
            os.fsync(f.fileno())
        final = dest_dir / f"{blob.digest[7:]}.layer"
        os.replace(tmp, final)
        fsync_dir(dest_dir)
    except BaseException:
        if compressor is not None:
            compressor.abort()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return LayerBlob(final, blob.digest, diff.digest, blob.size, MEDIA_TYPES[compression], writer.count == 0)
