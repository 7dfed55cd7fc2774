"""``container rename`` (running, stopped, conflicts, unknown) and ``container ps -l/-n``."""

from __future__ import annotations

import json

import pytest

from tests.container import conftest as container_fixtures
from tests.container.container_helpers import cli

cgroup_parent, containers = container_fixtures.cgroup_parent, container_fixtures.containers
pytestmark = pytest.mark.integration


def _run(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_rename_a_running_container_and_conflicts(containers, busybox) -> None:
    cid = _run("container", "run", "-d", "--name", "old", "busybox", "sleep", "100").strip()
    _run("container", "create", "--name", "taken", "busybox", "true")
    _run("container", "rename", "old", "new")
    assert json.loads(_run("container", "inspect", "new"))[0]["Id"] == cid
    assert cli("container", "inspect", "old").returncode != 0
    assert _run("container", "exec", "new", "echo", "still-running") == "still-running\n"
    clash = cli("container", "rename", "new", "taken")
    assert clash.returncode == 1 and b'container name "/taken" is already in use' in clash.stderr
    missing = cli("container", "rename", "nope", "x")
    assert missing.returncode == 1 and b"No such container: nope" in missing.stderr
    _run("container", "rm", "-f", "new", "taken")


def test_ps_latest_and_last(containers, busybox) -> None:
    ids = [_run("container", "create", "--name", f"c{i}", "busybox", "true").strip() for i in range(3)]
    assert _run("container", "ps", "-q") == ""  # none running
    assert _run("container", "ps", "-l", "-q").split() == [ids[2][:12]]
    assert _run("container", "ps", "-n", "2", "-q").split() == [ids[2][:12], ids[1][:12]]
    _run("container", "rm", *ids)
