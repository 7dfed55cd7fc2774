"""Reuse an earlier result of ``pycompose config`` when nothing it depends on changed.

The key of an entry is the SHA-256 of everything known before loading: the format
version of entries, pycompose's version and a fingerprint of its code (size and
modification time of the modules ``config`` runs, of the schema, of the YAML and
schema libraries; the Python version), the command's options, the working directory
and the whole process environment.

The entry then holds what loading found out, as :mod:`compose.loader.observe` noted
it: every file-system question (which candidate compose and ``.env`` files exist,
the SHA-256 of every file read: compose, ``.env``/``--env-file``, ``env_file``,
``label_file``, ``extends``/``include`` files; resolved symlinks), with the answers,
and the output: the text of standard output and the warnings. A hit asks the
questions again; one different answer and it is a miss (the entry is then replaced).
Only successful runs are stored. The store is :mod:`compose.validate.cache`'s (atomic
writes, bounded size: at most ``PER_DIR`` x 256 entries, ``PYCOMPOSE_CACHE=off``
disables it), under ``config/``.

This module imports only the standard library and those two modules: a hit costs
a few hashes and one file read, without the loader, the YAML reader or the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compose.loader import observe
from compose.validate import cache

__all__ = ["Result", "code_fingerprint", "enabled", "key_for", "lookup", "store"]

FORMAT = "pycompose-config-result/1"

# What ``config`` runs, relative to the directory holding the ``compose`` package: the
# directories whose modules (``*.py``) and the single files whose edits change the key.
_CODE_DIRS = ("compose", "compose/loader", "compose/loader/transform", "compose/validate", "compose/model",
              "schemas")
_CODE_FILES = ("compose/cli/commands/config.py", "compose/cli/main.py", "runtime/errors.py")
# Libraries whose behaviour is part of the result: the YAML reader, and the validator that has
# the last word on a document the fast check refuses.
_LIBRARIES = ("yaml", "jsonschema")
# Entries hold whole outputs: at most this many per subdirectory (of 256), the oldest go first.
PER_DIR = 2


@dataclass(frozen=True)
class Result:
    """What a successful ``config`` printed."""

    stdout: str
    warnings: tuple[str, ...] = ()


def _base() -> Path:
    return Path(__file__).resolve().parent.parent.parent


def code_fingerprint(base: Path | None = None) -> str:
    """Identifies the code and schema ``config`` runs (edits change it, even in a checkout)."""
    from compose import __version__

    base = base if base is not None else _base()
    h = hashlib.sha256(__version__.encode())
    for rel in _CODE_DIRS:
        try:
            with os.scandir(base / rel) as found:
                entries = sorted((e.name, e.stat()) for e in found
                                 if e.name.endswith((".py", ".json")) and e.is_file())
        except OSError:
            entries = []
        for name, st in entries:
            h.update(f"{rel}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    files = [(rel, base / rel) for rel in _CODE_FILES]
    files += [(name, _origin(name)) for name in _LIBRARIES]
    for rel, path in files:
        try:
            st = os.stat(path) if path is not None else None
        except OSError:
            st = None
        h.update((f"{rel}:{st.st_size}:{st.st_mtime_ns}\n" if st else f"{rel}:-\n").encode())
    h.update(f"{sys.version}\n{sys.executable}\n".encode())
    return h.hexdigest()


def _origin(module: str) -> str | None:
    """The file a module would be imported from, without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def key_for(options: Mapping[str, Any], cwd: str, environ: Mapping[str, str], fingerprint: str) -> str:
    """The key of a run of ``config`` with ``options`` (JSON values) in ``cwd`` under ``environ``."""
    text = json.dumps(
        {"format": FORMAT, "code": fingerprint, "options": options, "cwd": cwd, "environ": dict(environ)},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def enabled() -> bool:
    return cache.cache_root() is not None


def _directory() -> Path | None:
    root = cache.cache_root()
    return None if root is None else root / "config"


def lookup(key: str) -> Result | None:
    """The stored result of ``key`` if every file-system answer is still the same."""
    directory = _directory()
    if directory is None:
        return None
    raw = cache.read_entry(directory, key)
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        observations, stdout, warnings = entry["observations"], entry["stdout"], entry["warnings"]
        if not (isinstance(observations, list) and isinstance(stdout, str) and isinstance(warnings, list)
                and all(isinstance(w, str) for w in warnings)):
            return None
    except (ValueError, KeyError, UnicodeDecodeError):
        return None
    if not observe.still_true(observations):
        return None
    return Result(stdout, tuple(warnings))


def store(key: str, observations: Iterable[observe.Observation], result: Result) -> None:
    """Remember ``result`` for ``key``, valid while ``observations`` hold."""
    directory = _directory()
    if directory is None:
        return
    entry = {"key": key, "observations": [list(o) for o in observations], "stdout": result.stdout,
             "warnings": list(result.warnings)}
    try:
        content = json.dumps(entry).encode("ascii")  # \u escapes keep undecodable bytes' surrogates
    except (TypeError, ValueError):
        return
    cache.write_entry(directory, key, content, per_dir=PER_DIR)
