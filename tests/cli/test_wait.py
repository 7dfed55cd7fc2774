"""``wait`` end to end: blocks until the containers stop, prints exit codes; ``--down-project``."""

from __future__ import annotations

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration


def test_wait_prints_exit_codes_and_can_take_the_project_down(project: Project) -> None:
    project.write("""
services:
  quick:
    image: busybox
    command: ["sh", "-c", "sleep 1; exit 4"]
  zero:
    image: busybox
    command: ["true"]
  long:
    image: busybox
    command: ["sleep", "1000"]
""")
    project.run("up", "-d")
    done = project.run("wait", "quick", check=False)
    assert (done.returncode, done.stdout) == (4, "4\n")
    assert project.run("wait", "zero").stdout == "0\n"
    project.run("up", "-d", "quick")
    done = project.run("wait", "--down-project", "quick", "long", check=False)
    assert done.stdout.splitlines()[0] == "4"
    assert project.containers() == {}
