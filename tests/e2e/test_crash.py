"""``up`` killed with SIGKILL half-way, then ``up`` again converges and ``down`` leaves nothing."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.integration

MANY = "services:\n" + "".join(f"""  s{i}:
    image: busybox
    command: ["sleep", "1000"]
    volumes: ["v{i}:/data"]
""" for i in range(6)) + "volumes:\n" + "".join(f"  v{i}: {{}}\n" for i in range(6))


@pytest.mark.parametrize("after", ["Creating", "Started"])
def test_sigkill_mid_up_then_up_converges_and_down_leaves_nothing(project: Project, after: str) -> None:
    project.write(MANY)
    proc = project.popen("up", "-d")
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 60
    while after not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert after in seen, seen
    project.run("up", "-d")
    c = project.containers()
    assert sorted(c) == sorted(f"{project.name}-s{i}-1" for i in range(6))
    assert all(d["State"]["Status"] == "running" for d in c.values())
    again = project.ids()
    project.run("up", "-d")
    assert project.ids() == again
    project.run("down", "-v")
    assert not project.containers()
    assert not [v for v in project.volumes() if v.startswith(project.name)]
