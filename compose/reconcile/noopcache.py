"""A no-op ``up -d`` answered without loading the project: what the last one found still holds.

When a plain detached ``up`` planned nothing, it stores (through
:mod:`compose.loader.resultcache`, so the compose files, ``.env`` files and every other file
the loader read are checked again) a snapshot of the host state the plan depended on:

* the set of container directories (a container created or removed anywhere is a miss);
* per container of the project: its ``state.json`` (size and modification time), its PID 1
  and supervisor alive with the same start times;
* ``refs.json`` of the image store (a re-tag or removal changes it), the networks' and
  volumes' directories (an entry created or removed changes their modification time).

The next identical ``up -d`` (same options, directory, environment, code) checks those and,
if all hold, prints the same lines and returns: no loader, no model, no runtime facades,
no trio. Any difference, or anything unexpected, is a miss and the full path runs (and
stores a fresh snapshot when its plan is again a no-op).

This module imports only the standard library and the result cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from compose.loader import observe, resultcache

__all__ = ["capture", "hit", "key"]

FORMAT = "pycompose-up-noop/1"
# The modules whose behaviour decides whether ``up`` is a no-op, beyond those ``config`` runs.
_CODE_DIRS = ("compose/reconcile", "compose/convert", "runtime/api")
_CODE_FILES = ("compose/plan.py", "compose/project_state.py", "compose/hashing.py", "compose/graph.py",
               "compose/cli/commands/up.py")


def _code_fingerprint() -> str:
    base = Path(__file__).resolve().parents[2]
    parts = [resultcache.code_fingerprint()]
    paths = [base / f for f in _CODE_FILES]
    for d in _CODE_DIRS:
        try:
            paths += sorted(p for p in (base / d).iterdir() if p.suffix == ".py")
        except OSError:
            parts.append(f"{d}:missing")
    for path in paths:
        try:
            st = path.stat()
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:missing")
    return "\n".join(parts)


def key(options: Mapping[str, Any], cwd: str, environ: Mapping[str, str]) -> str:
    return resultcache.key_for({"format": FORMAT, **options}, cwd, environ, _code_fingerprint())


def _start_time(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat, 0 if the process is gone or a zombie."""
    if pid <= 0:
        return 0
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return 0
    fields = data[data.rfind(b")") + 2:].split()
    return 0 if fields[0] == b"Z" else int(fields[19])


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}"


def _snapshot(root: Path, container_ids: Iterable[str]) -> dict[str, Any] | None:
    """What the host looks like now, or None if a container is not plainly running."""
    containers_dir = root / "containers"
    try:
        every = sorted(os.listdir(containers_dir))
    except OSError:
        every = []
    ours = {}
    for cid in sorted(container_ids):
        path = containers_dir / cid / "state.json"
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        pid, shim = int(state.get("pid") or 0), int(state.get("shim_pid") or 0)
        shim_start = _start_time(shim)
        if state.get("status") != "running" or state.get("health") or not shim_start:
            return None
        if _start_time(pid) != int(state.get("pid_start") or 0) or not pid:
            return None
        ours[cid] = {"state": _stamp(path), "shim": [shim, shim_start]}
    return {"all": every, "ours": ours, "refs": _stamp(root / "images" / "refs.json"),
            "networks": _stamp(root / "network" / "networks"), "volumes": _stamp(root / "volumes")}


def capture(cache_key: str, observations: Iterable[observe.Observation], root: Path, project: str,
            container_ids: Iterable[str], lines: list[str], warnings: Iterable[str] = ()) -> None:
    """Remember a no-op ``up -d`` that printed ``lines`` (call it under the project lock)."""
    snap = _snapshot(root, container_ids)
    if snap is None:
        return
    payload = json.dumps({"project": project, "snapshot": snap, "lines": lines}, sort_keys=True)
    resultcache.store(cache_key, observations, resultcache.Result(payload, tuple(warnings)))


def hit(cache_key: str, root: Path,
        lock: Callable[[str], AbstractContextManager[Any]]) -> tuple[list[str], list[str]] | None:
    """The warnings and lines of the stored no-op if the files and the host state still match
    (checked under ``lock(project)``, the lock a full ``up`` holds)."""
    found = resultcache.lookup(cache_key)
    if found is None:
        return None
    try:
        entry = json.loads(found.stdout)
        stored, lines, project = entry["snapshot"], entry["lines"], str(entry["project"])
        with lock(project):
            now = _snapshot(root, stored["ours"])
    except (ValueError, KeyError, TypeError):
        return None
    if now is None or now != stored:
        return None
    return [str(w) for w in found.warnings], [str(line) for line in lines]
