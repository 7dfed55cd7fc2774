"""Two state roots with the default run root: each gets a run root of its own (keyed on the state
root), so their supervisor servers and resolvers never serve the other's containers; and a run
root shared on purpose by two state roots is refused in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runtime.state import DEFAULT_RUN, StateRoot, default_run
from tests.container.conftest import stop_server
from tests.e2e.conftest import Project

pytestmark = pytest.mark.integration

COMPOSE = """services:
  app:
    image: busybox
    command: ["sh", "-c", "echo hello-from-$$HOSTNAME; sleep 1000"]
"""


def test_default_run_root_is_keyed_on_the_state_root(tmp_path: Path) -> None:
    assert default_run(Path("/var/lib/pycompose")) == Path(DEFAULT_RUN)
    a, b = default_run(tmp_path / "a"), default_run(tmp_path / "b")
    assert a != b and a.parent == b.parent == Path(DEFAULT_RUN).parent
    assert StateRoot.from_env({"PYCOMPOSE_ROOT": str(tmp_path / "a")}).run == a
    assert StateRoot.from_env({"PYCOMPOSE_ROOT": str(tmp_path / "a"), "PYCOMPOSE_RUN": "/x"}).run == Path("/x")


def test_a_run_root_refuses_a_second_state_root(tmp_path: Path) -> None:
    StateRoot(tmp_path / "one", tmp_path / "run").ensure()
    env = dict(os.environ, PYCOMPOSE_ROOT=str(tmp_path / "two"), PYCOMPOSE_RUN=str(tmp_path / "run"))
    done = subprocess.run([sys.executable, "-m", "compose", "image", "ls"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "belongs to state root" in done.stderr and "PYCOMPOSE_RUN" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def _second(project: Project, tmp_path: Path, busybox_tar: Path) -> Project:
    directory = tmp_path / "second"
    directory.mkdir()
    env = dict(project.env, PYCOMPOSE_ROOT=str(tmp_path / "root2"))
    other = Project(directory, env, project.name + "b")
    other.run("image", "load", "-i", str(busybox_tar))
    return other


def test_two_state_roots_one_after_the_other_and_at_once(project: Project, tmp_path: Path,
                                                          busybox_tar: Path) -> None:
    original_run = project.env.pop("PYCOMPOSE_RUN")
    first_run = default_run(Path(project.env["PYCOMPOSE_ROOT"]))
    other = _second(project, tmp_path, busybox_tar)
    other.env.pop("PYCOMPOSE_RUN", None)
    second_run = default_run(Path(other.env["PYCOMPOSE_ROOT"]))
    try:
        project.run("image", "load", "-i", str(busybox_tar))
        for p in (project, other):
            p.write(COMPOSE)
        project.run("up", "-d")  # the first root's server starts
        other.run("up", "-d")  # the second root must not reach it
        for p in (project, other):
            assert "hello-from-" in p.run("logs", "app").stdout
            assert p.run("ps", "-q").stdout.strip()
        project.run("down", "-t", "0")
        other.run("down", "-t", "0")
        # at once: both up and down concurrently
        errors: list[str] = []

        def cycle(p: Project) -> None:
            for args in (("up", "-d"), ("down", "-t", "0")):
                done = p.run(*args, check=False)
                if done.returncode != 0:
                    errors.append(done.stderr)

        threads = [threading.Thread(target=cycle, args=(p,)) for p in (project, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors
        for p in (project, other):
            assert not p.run("ps", "-aq").stdout.strip()
    finally:
        for p, run in ((other, second_run), (project, first_run)):
            p.run("down", "-v", "-t", "0", check=False)
            stop_server(StateRoot(Path(p.env["PYCOMPOSE_ROOT"]), run))
            shutil.rmtree(run, ignore_errors=True)
        project.env["PYCOMPOSE_RUN"] = original_run
