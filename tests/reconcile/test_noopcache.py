"""The cached no-op ``up -d``: a hit only while files and host state are what they were."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from compose.loader import observe
from compose.reconcile import noopcache


def _start(pid: int) -> int:
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return int(data[data.rfind(b")") + 2:].split()[19])


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYCOMPOSE_CACHE", str(tmp_path / "cache"))
    me = os.getpid()
    state = {"status": "running", "pid": me, "pid_start": _start(me), "shim_pid": me, "health": None}
    (tmp_path / "root" / "containers" / "c1").mkdir(parents=True)
    (tmp_path / "root" / "containers" / "c1" / "state.json").write_text(json.dumps(state))
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    return tmp_path


def _lock(log: list[str]):
    def lock(project: str) -> contextlib.AbstractContextManager[None]:
        log.append(project)
        return contextlib.nullcontext()
    return lock


def _capture(root: Path) -> str:
    key = noopcache.key({"global": {}, "command": {}}, str(root), {"A": "1"})
    with observe.recording() as rec:
        observe.read_text(str(root / "compose.yaml"))
    noopcache.capture(key, rec.observations, root / "root", "proj", ["c1"], ["Container proj-a-1  Running"],
                      ["a warning"])
    return key


def test_hit_repeats_the_lines_under_the_project_lock(root: Path) -> None:
    key = _capture(root)
    log: list[str] = []
    assert noopcache.hit(key, root / "root", _lock(log)) == (["a warning"], ["Container proj-a-1  Running"])
    assert log == ["proj"]


def test_edited_compose_file_is_a_miss(root: Path) -> None:
    key = _capture(root)
    (root / "compose.yaml").write_text("services: {a: {image: busybox}}\n")
    assert noopcache.hit(key, root / "root", _lock([])) is None


def test_new_container_is_a_miss(root: Path) -> None:
    key = _capture(root)
    (root / "root" / "containers" / "c2").mkdir()
    assert noopcache.hit(key, root / "root", _lock([])) is None


def test_changed_state_is_a_miss(root: Path) -> None:
    key = _capture(root)
    path = root / "root" / "containers" / "c1" / "state.json"
    state = json.loads(path.read_text())
    path.write_text(json.dumps({**state, "status": "exited"}))
    assert noopcache.hit(key, root / "root", _lock([])) is None


def test_dead_process_is_never_captured(root: Path) -> None:
    path = root / "root" / "containers" / "c1" / "state.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "pid_start": 1}))
    key = _capture(root)
    assert noopcache.hit(key, root / "root", _lock([])) is None


def test_other_environment_is_another_key(root: Path) -> None:
    _capture(root)
    other = noopcache.key({"global": {}, "command": {}}, str(root), {"A": "2"})
    assert noopcache.hit(other, root / "root", _lock([])) is None
