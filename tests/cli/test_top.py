"""``top`` end to end: each running container's processes under its name."""

from __future__ import annotations

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration


def test_top_lists_processes_per_container(project: Project) -> None:
    project.write("""
services:
  a:
    image: busybox
    command: ["sh", "-c", "sleep 1001 & exec sleep 1002"]
  b:
    image: busybox
    command: ["sleep", "1003"]
""")
    project.run("up", "-d")
    out = project.run("top").stdout
    blocks = out.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [f"{project.name}-a-1", f"{project.name}-b-1"]
    header = blocks[0].splitlines()[1].split()
    assert header == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    a_rows = blocks[0].splitlines()[2:]
    assert sorted(r.split()[-1] for r in a_rows) == ["1001", "1002"]
    assert all(r.split()[0] == "root" for r in a_rows)
    only_b = project.run("top", "b").stdout
    assert "sleep 1003" in only_b and "1001" not in only_b
