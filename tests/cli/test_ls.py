"""``ls`` end to end: projects found by their labels, running ones unless ``-a``."""

from __future__ import annotations

import json

import pytest

from compose.cli.commands.ls import status_text
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project


@pytest.mark.integration
def test_ls_lists_the_project(project: Project) -> None:
    compose_file = project.write("""
services:
  a: {image: busybox, command: ["sleep", "1000"], scale: 2}
  b: {image: busybox, command: ["true"]}
""")
    project.run("up", "-d")
    project.run("wait", "b")
    rows = json.loads(project.run("ls", "--format", "json").stdout)
    assert rows == [{"Name": project.name, "Status": "running(2), exited(1)", "ConfigFiles": str(compose_file)}]
    table = project.run("ls").stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "CONFIG", "FILES"]
    assert table[1].split()[:2] == [project.name, "running(2),"]
    assert project.run("ls", "-q", "--filter", f"name={project.name}").stdout == f"{project.name}\n"
    assert project.run("ls", "-q", "--filter", "name=nothing-like-it").stdout == ""
    project.run("stop", "-t", "0")
    assert project.run("ls", "-q").stdout == ""
    assert project.run("ls", "-a", "-q").stdout == f"{project.name}\n"


def test_status_text_counts_in_order() -> None:
    assert status_text(["running", "running", "exited"]) == "running(2), exited(1)"
    assert status_text([]) == ""
