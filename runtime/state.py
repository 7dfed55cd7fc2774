"""Where pycompose keeps its state, and the crash-safe primitives to change it.

Two roots, both overridable so that every test gets its own:

* the state root (``PYCOMPOSE_ROOT``, default ``/var/lib/pycompose``): what must survive
  a reboot (image content, layers, container records and upper dirs, volumes);
* the run root (``PYCOMPOSE_RUN``, default ``/run/pycompose`` for the default state root and
  ``/run/pycompose-<hash of the state root>`` for any other): what lives only as long as the
  processes and mounts it describes (supervisor sockets, pid files, mounted rootfs, network
  namespaces). The supervisor server and the DNS resolver are found through it and serve the
  state root that started them, so each state root has its own; a run root records its state
  root and refuses to serve another (one line, saying to set ``PYCOMPOSE_RUN``).

Every change of a file goes through :func:`atomic_write` (temp name in the same
directory, fsync, rename, fsync of the directory), so a process killed at any point
leaves either the old or the new content. Commands that change shared state take a
:class:`FileLock` (``flock``) on a lock file named for what they change.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from runtime.errors import RuntimeFailure

DEFAULT_ROOT = "/var/lib/pycompose"
DEFAULT_RUN = "/run/pycompose"
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class StateRoot:
    """The two directory trees of one pycompose installation (or one test)."""

    root: Path
    run: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> StateRoot:
        env = os.environ if environ is None else environ
        root = Path(env.get("PYCOMPOSE_ROOT") or DEFAULT_ROOT)
        return cls(root, Path(env.get("PYCOMPOSE_RUN") or default_run(root)))

    def ensure(self) -> StateRoot:
        for path in (self.root, self.run, self.locks):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._claim_run_root()
        return self

    def _claim_run_root(self) -> None:
        """Record in the run root which state root it serves; refuse a run root of another."""
        owner = self.run / "state-root"
        mine = os.fspath(self.root.absolute())
        try:
            theirs = owner.read_text()
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                fd = os.open(owner, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(mine)
            theirs = owner.read_text()
        if theirs and theirs != mine:
            raise RuntimeFailure(f"run root {self.run} belongs to state root {theirs}, not {mine}: "
                                 f"set PYCOMPOSE_RUN to a directory of its own for this state root")

    @property
    def locks(self) -> Path:
        return self.run / "locks"

    def lock(self, name: str, *, shared: bool = False) -> FileLock:
        """A lock named for what it guards, e.g. ``images`` or ``container-<id>``."""
        self.locks.mkdir(mode=0o700, parents=True, exist_ok=True)
        return FileLock(self.locks / f"{name}.lock", shared=shared)


def default_run(root: Path) -> Path:
    """The run root of a state root when ``PYCOMPOSE_RUN`` is not set: ``/run/pycompose`` for the
    default state root, ``/run/pycompose-<16 hex digits of its path's SHA-256>`` for another."""
    import hashlib

    resolved = os.path.abspath(root)
    if resolved == DEFAULT_ROOT:
        return Path(DEFAULT_RUN)
    return Path(f"{DEFAULT_RUN}-{hashlib.sha256(resolved.encode()).hexdigest()[:16]}")


class FileLock:
    """An ``flock`` on a file: exclusive by default, shared with ``shared=True``.

    Released by the kernel when the process dies, so a killed command never leaves
    a stale lock behind.
    """

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        self.path = path
        self.shared = shared
        self._fd: int | None = None

    def acquire(self, *, blocking: bool = True) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        op = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        if not blocking:
            op |= fcntl.LOCK_NB
        try:
            fcntl.flock(fd, op)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, *, mode: int = 0o644, sync: bool = True) -> Iterator[BinaryIO]:
    """A new file (a temp name beside ``path``) that replaces ``path`` only when the block
    completes; on an error it is removed and ``path`` is untouched."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        if sync:
            fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, data: bytes | str, *, mode: int = 0o644, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content."""
    if isinstance(data, str):
        data = data.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, mode=mode, sync=sync) as f:
        f.write(data)


def write_json(path: Path, value: Any, *, sync: bool = True) -> None:
    atomic_write(path, json.dumps(value, indent=1, sort_keys=True) + "\n", sync=sync)


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; a torn or corrupt file is a :class:`RuntimeFailure`."""
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise RuntimeFailure(f"{path}: corrupt state file ({exc.msg})") from None


def remove_stale_temps(directory: Path) -> int:
    """Remove temp files a killed writer left in ``directory``; returns how many."""
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            if entry.name.startswith(TEMP_PREFIX):
                try:
                    if entry.is_dir(follow_symlinks=False):
                        import shutil

                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
                    removed += 1
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise
    return removed


@contextlib.contextmanager
def temp_dir_in(directory: Path, suffix: str = "") -> Iterator[Path]:
    """A temp directory beside its final place, removed unless renamed away."""
    import shutil

    directory.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, suffix=suffix, dir=directory))
    try:
        yield path
    finally:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
