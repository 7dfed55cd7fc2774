"""``pycompose scale SERVICE=N``: up and down, the other services untouched."""

from __future__ import annotations

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project
pytestmark = pytest.mark.integration


def test_scale_up_and_down(project: Project) -> None:
    project.write("services:\n  web: {image: busybox, command: [sleep, '1000']}\n"
                  "  db: {image: busybox, command: [sleep, '1000']}\n")
    project.run("up", "-d")
    before = project.ids()
    project.run("scale", "web=3")
    names = sorted(project.containers())
    assert names == sorted(f"{project.name}-{n}" for n in ("db-1", "web-1", "web-2", "web-3"))
    assert project.ids()[f"{project.name}-web-1"] == before[f"{project.name}-web-1"]
    project.run("scale", "web=1")
    assert sorted(project.ids()) == sorted(before)
    assert project.ids() == before
    bad = project.run("scale", "web", check=False)
    assert bad.returncode != 0 and "expected SERVICE=REPLICAS" in bad.stderr
