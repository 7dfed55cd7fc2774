"""``pause``/``unpause`` end to end: a paused container is frozen (its counter stops), then goes on."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  counter:
    image: busybox
    command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo $$i > /tmp/n; sleep 0.05; done"]
  other:
    image: busybox
    command: ["sleep", "1000"]
"""


def _count(p: Project) -> int:
    return int(p.run("exec", "-T", "counter", "cat", "/tmp/n").stdout)


def _state(p: Project, service: str) -> str:
    rows = map(json.loads, p.run("ps", "-a", "--format", "json").stdout.splitlines())
    return next(r["State"] for r in rows if r["Service"] == service)


def test_pause_freezes_and_unpause_resumes(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d")
    err = project.run("pause", "counter").stderr
    assert f"Container {project.name}-counter-1  Paused" in err
    assert _state(project, "counter") == "paused" and _state(project, "other") == "running"
    assert "(Paused)" in project.run("ps").stdout
    exec_paused = project.run("exec", "-T", "counter", "true", check=False)
    assert exec_paused.returncode == 1 and "paused" in exec_paused.stderr
    # frozen: the counter file, read from the host through the paused process's root, does not move
    pid = project.containers()[f"{project.name}-counter-1"]["State"]["Pid"]
    path = f"/proc/{pid}/root/tmp/n"
    with open(path) as f:
        before = f.read()
    time.sleep(0.5)
    with open(path) as f:
        assert f.read() == before
    err = project.run("unpause").stderr
    assert f"Container {project.name}-counter-1  Unpaused" in err
    assert _state(project, "counter") == "running"
    first = _count(project)
    for _ in range(200):
        if _count(project) > first:
            break
    else:
        pytest.fail("the counter did not move after unpause")
