"""Top-level ``inspect``: any object by name or ID, ``--type``, ``--format`` templates."""

from __future__ import annotations

import json

import pytest

from tests.container import conftest as container_fixtures
from tests.container.container_helpers import cli

cgroup_parent, containers = container_fixtures.cgroup_parent, container_fixtures.containers
pytestmark = pytest.mark.integration


def test_inspect_any_object(containers, busybox) -> None:
    cid = cli("container", "run", "-d", "--name", "insp", "--env", "A=1", "busybox", "sleep", "100").stdout.decode()
    try:
        out = cli("inspect", "--format", "{{.State.Status}} {{json .Config.Env}}", "insp")
        assert out.returncode == 0, out.stderr
        status, env = out.stdout.decode().split(" ", 1)
        assert status == "running" and "A=1" in json.loads(env)
        both = json.loads(cli("inspect", "insp", "busybox:latest").stdout)
        assert [o["Id"] for o in both] == [cid.strip(), busybox.id]
        image_only = cli("inspect", "--type", "image", "--format", "{{.Id}}", "busybox")
        assert image_only.stdout.decode().strip() == busybox.id
        missing = cli("inspect", "insp", "nope")
        assert missing.returncode == 1 and b"Error: No such object: nope" in missing.stderr
        assert json.loads(missing.stdout)[0]["Name"].lstrip("/") == "insp"
        typed = cli("inspect", "--type", "volume", "insp")
        assert typed.returncode == 1 and b"Error: No such volume: insp" in typed.stderr
    finally:
        cli("container", "rm", "-f", "insp")


def test_version_format() -> None:
    out = cli("version", "--format", "{{.Client.Version}}|{{.Runtime.CgroupVersion}}")
    assert out.returncode == 0
    version, cgroup = out.stdout.decode().strip().split("|")
    assert version and cgroup in ("1", "2")
    assert set(json.loads(cli("version", "-f", "json").stdout)) == {"Client", "Runtime"}
