"""Remember documents that passed schema validation, on disk, across runs.

An entry is a file named by the SHA-256 of (schema digest, canonical JSON of the
document); its content is that same digest, so a truncated or foreign file is simply
not a hit. Writes are atomic (temporary file + rename) and every failure to read or
write is ignored: the cache can only make validation faster, never change its result.

At most ``MAX_PER_DIR`` entries per subdirectory are kept (the oldest go first).

Where: ``$PYCOMPOSE_CACHE/validation`` if set (``PYCOMPOSE_CACHE=off`` disables the
cache), else ``$XDG_CACHE_HOME/pycompose/validation``, else ``~/.cache/pycompose/validation``.

The store itself (:func:`read_entry`, :func:`write_entry`: one file per key, atomic
writes, bounded size) is shared with the project-result cache of ``pycompose config``
(:mod:`compose.loader.resultcache`), which keeps its entries beside these.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

DISABLED = {"off", "0", "none", "false"}
# Entries live in 256 subdirectories (first two hex digits of the key); each keeps at most
# this many, the oldest going first, so the cache stays under ~8k small files.
MAX_PER_DIR = 32


def cache_root() -> Path | None:
    """The directory of every pycompose cache, or ``None`` when caching is off."""
    explicit = os.environ.get("PYCOMPOSE_CACHE")
    if explicit is not None:
        if explicit.strip().lower() in DISABLED or not explicit.strip():
            return None
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pycompose"


def cache_dir() -> Path | None:
    """The directory of validation entries, or ``None`` when caching is off."""
    root = cache_root()
    return None if root is None else root / "validation"


def _plain(value: Any) -> Any:
    """JSON cannot tell 1 from 1.0 or NaN from a string: tag floats so keys stay exact."""
    if isinstance(value, float):
        return {"\0f": "nan" if math.isnan(value) else repr(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def document_key(schema_digest: str, data: Any) -> str:
    """The cache key of ``data`` validated against the schema with ``schema_digest``."""
    text = json.dumps(_plain(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    h = hashlib.sha256()
    h.update(schema_digest.encode())
    h.update(b"\n")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def is_known_valid(key: str, directory: Path | None = None) -> bool:
    directory = directory if directory is not None else cache_dir()
    if directory is None:
        return False
    return read_entry(directory, key) == key.encode("ascii")


def remember_valid(key: str, directory: Path | None = None) -> None:
    directory = directory if directory is not None else cache_dir()
    if directory is not None:
        write_entry(directory, key, key.encode("ascii"))


def read_entry(directory: Path, key: str) -> bytes | None:
    """The content stored under ``key`` (a hex digest) in ``directory``, or ``None``."""
    try:
        return (directory / key[:2] / key).read_bytes()
    except (OSError, ValueError):
        return None


def write_entry(directory: Path, key: str, content: bytes, per_dir: int | None = None) -> None:
    """Store ``content`` under ``key``, atomically; a failure leaves the cache as it was.
    At most ``per_dir`` entries (default ``MAX_PER_DIR``) stay in the key's subdirectory."""
    import tempfile  # only on a miss: keeps the import off the common path

    target = directory / key[:2] / key
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune(target.parent, target.name, MAX_PER_DIR if per_dir is None else per_dir)
    except OSError:
        pass


def _prune(directory: Path, newest: str, limit: int) -> None:
    """Drop the oldest entries beyond ``limit`` (never ``newest``, just written;
    timestamps are coarse, so ties are common)."""
    keep = limit - 1
    entries = []
    with os.scandir(directory) as found:
        for entry in found:
            if entry.name != newest and not entry.name.startswith(".tmp-"):
                with contextlib.suppress(OSError):
                    entries.append((entry.stat().st_mtime_ns, entry.path))
    if len(entries) <= keep:
        return
    entries.sort()
    for _, path in entries[: len(entries) - keep]:
        with contextlib.suppress(OSError):
            os.unlink(path)

