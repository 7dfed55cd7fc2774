"""``kill`` end to end: SIGKILL by default, ``-s`` delivers the named signal, services narrow it."""

from __future__ import annotations

import json

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  trapper:
    image: busybox
    command: ["sh", "-c", "trap 'echo got USR1; exit 42' USR1; echo ready; while true; do sleep 0.1; done"]
  plain:
    image: busybox
    command: ["sleep", "1000"]
"""


def _states(p: Project) -> dict[str, tuple[str, int]]:
    rows = map(json.loads, p.run("ps", "-a", "--format", "json").stdout.splitlines())
    return {r["Service"]: (r["State"], r["ExitCode"]) for r in rows}


def test_kill_signal_and_default(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d")
    for _ in range(200):
        if "ready" in project.run("logs", "trapper").stdout:
            break
    err = project.run("kill", "-s", "USR1", "trapper").stderr
    assert f"Container {project.name}-trapper-1  Killed" in err
    waited = project.run("wait", "trapper", check=False)
    assert (waited.returncode, waited.stdout.strip()) == (42, "42")
    assert "got USR1" in project.run("logs", "trapper").stdout
    assert _states(project) == {"trapper": ("exited", 42), "plain": ("running", 0)}
    bad = project.run("kill", "-s", "NOPE", "plain", check=False)
    assert bad.returncode == 1 and "invalid signal" in bad.stderr
    project.run("kill")
    assert project.run("wait", "plain", check=False).stdout.strip() == "137"
    assert _states(project)["plain"] == ("exited", 137)
    assert "no container to kill" in project.run("kill").stderr
