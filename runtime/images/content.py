"""The content store: blobs named by their sha256 digest, verified on write and on read.

A blob is written to a temp file inside an :class:`IngestSession` directory while it is
hashed, fsynced, and renamed to ``blobs/sha256/<hex>`` only when its digest is known (and,
when the writer said which digest to expect, equal to it). A reader of manifests, indexes
and configs hashes what it reads before parsing it.

Sessions belong to one process: each holds an ``flock`` on its lock file, so the next
command can tell the session of a killed process (lock free) from a running one and remove
what the dead one left behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runtime.images.errors import DigestMismatch, ImageNotFound
from runtime.state import StateRoot, fsync_dir

ALGORITHM = "sha256"
CHUNK = 1 << 20
_HEX = re.compile(r"[0-9a-f]{64}\Z")


def digest_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def split_digest(digest: str) -> str:
    """The hex part of ``sha256:<hex>``; anything else is refused."""
    algo, _, hexpart = digest.partition(":")
    if algo != ALGORITHM or not _HEX.match(hexpart):
        raise DigestMismatch(f"unsupported or malformed digest {digest!r}")
    return hexpart


class HashingReader:
    """A read-only stream that hashes (and counts) what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.hasher = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.hasher.update(data)
        self.size += len(data)
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> str:
        return f"sha256:{self.hasher.hexdigest()}"


class IngestSession:
    """A private scratch directory of one process inside ``ingest/``; see the module doc."""

    def __init__(self, ingest_root: Path, guard: StateRoot) -> None:
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.path = ingest_root / self.name
        self._lock_path = ingest_root / f"{self.name}.lock"
        with guard.lock("images-ingest"):
            ingest_root.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self.path.mkdir()

    def temp_path(self, prefix: str = "blob") -> Path:
        return self.path / f"{prefix}-{uuid.uuid4().hex[:12]}"

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._lock_path)
        os.close(self._fd)

    def __enter__(self) -> IngestSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remove_dead_sessions(ingest_root: Path, guard: StateRoot) -> int:
    """Remove the scratch directories of sessions whose process is gone."""
    if not ingest_root.is_dir():
        return 0
    removed = 0
    with guard.lock("images-ingest"):
        for entry in os.scandir(ingest_root):
            if not entry.name.endswith(".lock"):
                if not os.path.exists(entry.path + ".lock"):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed += 1
                continue
            try:
                fd = os.open(entry.path, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # its session just closed (close() does not take the guard)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                shutil.rmtree(entry.path[: -len(".lock")], ignore_errors=True)
                os.unlink(entry.path)
                removed += 1
            finally:
                os.close(fd)
    return removed


@dataclass(frozen=True)
class BlobInfo:
    digest: str
    size: int


class ContentStore:
    """``blobs/sha256/<hex>`` under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / ALGORITHM
        self.partials = root / "partial"

    def path(self, digest: str) -> Path:
        return self.blobs / split_digest(digest)

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def read(self, digest: str) -> bytes:
        """The blob's bytes, verified against ``digest`` (for manifests, indexes, configs)."""
        try:
            data = self.path(digest).read_bytes()
        except FileNotFoundError:
            raise ImageNotFound(f"content {digest} is not in the store") from None
        if digest_of(data) != digest:
            raise DigestMismatch(f"content {digest} is corrupt in the store (digest mismatch)")
        return data

    @contextlib.contextmanager
    def open(self, digest: str) -> Iterator[BinaryIO]:
        try:
            f = open(self.path(digest), "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise ImageNotFound(f"content {digest} is not in the store") from None
        with f:
            yield f

    def write(self, session: IngestSession, data: bytes, expected: str | None = None) -> BlobInfo:
        digest = digest_of(data)
        if expected is not None and expected != digest:
            raise DigestMismatch(f"digest mismatch: expected {expected}, content is {digest}")
        if self.has(digest):
            return BlobInfo(digest, len(data))
        tmp = session.temp_path()
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self._commit(tmp, digest)
        return BlobInfo(digest, len(data))

    def ingest(self, session: IngestSession, stream: BinaryIO, expected: str | None = None,
               size: int | None = None, progress: object = None) -> BlobInfo:
        """Copy ``stream`` into the store, hashing it; verify against ``expected``."""
        tmp = session.temp_path()
        hasher = hashlib.sha256()
        total = 0
        with open(tmp, "wb") as f:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                hasher.update(chunk)
                f.write(chunk)
                total += len(chunk)
                if progress is not None:
                    progress(len(chunk))  # type: ignore[operator]
            f.flush()
            os.fsync(f.fileno())
        digest = f"sha256:{hasher.hexdigest()}"
        if expected is not None and expected != digest:
            os.unlink(tmp)
            raise DigestMismatch(f"digest mismatch: expected {expected}, content is {digest}")
        if size is not None and size != total:
            os.unlink(tmp)
            raise DigestMismatch(f"size mismatch for {digest}: expected {size} bytes, got {total}")
        self._commit(tmp, digest)
        return BlobInfo(digest, total)

    def adopt(self, tmp: Path, digest: str) -> None:
        """Move an already hashed and fsynced temp file of a session into the store."""
        self._commit(tmp, digest)

    def _commit(self, tmp: Path, digest: str) -> None:
        self.blobs.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, self.path(digest))
        fsync_dir(self.blobs)

    @contextlib.contextmanager
    def partial(self, digest: str) -> Iterator[BinaryIO | None]:
        """The partial file of a download of ``digest`` (``partial/sha256-<hex>``, what an earlier
        interrupted download received), opened for appending and locked against other processes
        fetching the same blob; None when the blob is in the store by the time the lock is held.
        An empty partial file is removed on the way out; one with bytes is kept for the next try."""
        path = self.partials / f"{ALGORITHM}-{split_digest(digest)}"
        self.partials.mkdir(parents=True, exist_ok=True)
        while True:
            f = open(path, "a+b", buffering=0)  # noqa: SIM115  (unbuffered: a kill loses nothing received)
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
                try:
                    current = os.stat(path).st_ino == os.fstat(f.fileno()).st_ino
                except FileNotFoundError:
                    current = False
                if not current and not self.has(digest):
                    continue  # locked a file that was adopted or removed meanwhile: open the path again
                try:
                    yield None if self.has(digest) else f
                finally:
                    if current and os.fstat(f.fileno()).st_size == 0:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(path)
                return
            finally:
                f.close()

    def adopt_partial(self, digest: str) -> None:
        """The verified, fsynced partial file of :meth:`partial` becomes the blob."""
        self._commit(self.partials / f"{ALGORITHM}-{split_digest(digest)}", digest)

    def remove_stale_partials(self, older_than: float = 86400.0) -> int:
        """Remove partial downloads nobody is continuing that were last written ``older_than``
        seconds ago (a day by default: a pull killed today still resumes tomorrow); the bytes freed."""
        import time

        freed = 0
        now = time.time()
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.partials):
                try:
                    fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC)
                except FileNotFoundError:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    st = os.fstat(fd)
                    if now - st.st_mtime >= older_than:
                        os.unlink(entry.path)
                        freed += st.st_size
                except (BlockingIOError, FileNotFoundError):
                    pass
                finally:
                    os.close(fd)
        return freed

    def digests(self) -> Iterator[str]:
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.blobs):
                if _HEX.match(entry.name):
                    yield f"sha256:{entry.name}"

    def delete(self, digest: str) -> int:
        path = self.path(digest)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size
