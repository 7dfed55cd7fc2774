"""``run`` end to end: one-off containers, their overrides, dependencies, ``--rm`` leaving nothing."""

from __future__ import annotations

import json

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
  tool:
    image: busybox
    command: ["echo", "default command"]
    environment: {FROM_FILE: "yes"}
    working_dir: /tmp
    ports: ["127.0.0.1::80"]
    volumes: ["scratch:/scratch"]
    depends_on: [db]
volumes:
  scratch: {}
"""


def test_run_rm_leaves_nothing_and_passes_the_exit_code(project: Project) -> None:
    project.write(APP)
    done = project.run("run", "--rm", "tool", "sh", "-c", "echo out; echo err >&2; exit 7", check=False)
    assert done.returncode == 7, done.stderr
    assert done.stdout.splitlines() == ["out"] and "err" in done.stderr
    # the dependency was started (as up would), the one-off container is gone, no anonymous volume left
    names = set(project.containers())
    assert names == {f"{project.name}-db-1"}
    assert project.run("ps", "-a", "--format", "{{.Service}}").stdout.split() == ["db"]
    assert project.volumes() == [f"{project.name}_scratch"]


def test_run_overrides_and_one_off_labels(project: Project, tmp_path) -> None:
    project.write(APP)
    host = tmp_path / "shared"
    host.mkdir()
    (host / "in.txt").write_text("from host\n")
    done = project.run("run", "--no-deps", "-e", "EXTRA=1", "-u", "65534", "-w", "/scratch", "-v",
                       f"{host}:/shared:ro", "--name", "oneoff", "tool",
                       "sh", "-c", "id -u; pwd; echo $FROM_FILE $EXTRA; cat /shared/in.txt")
    assert done.stdout.split("\n")[:4] == ["65534", "/scratch", "yes 1", "from host"]
    data = project.containers()
    assert set(data) == {"oneoff"}, "--no-deps: db not started"
    labels = data["oneoff"]["Config"]["Labels"]
    assert labels["com.docker.compose.oneoff"] == "True" and labels["com.docker.compose.service"] == "tool"
    assert data["oneoff"]["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")
    row = json.loads(project.run("ps", "-a", "--format", "json").stdout)
    assert row["Name"] == "oneoff" and row["State"] == "exited" and row["Publishers"] == []
    project.run("rm", "-f", "tool", check=False)


def test_run_entrypoint_detach_and_service_ports(project: Project) -> None:
    project.write(APP)
    out = project.run("run", "--no-deps", "--entrypoint", "echo via entrypoint", "tool").stdout
    assert out.strip() == "via entrypoint"
    name = project.run("run", "-d", "--no-deps", "--service-ports", "tool", "sleep", "100").stdout.strip()
    assert name.startswith(f"{project.name}-tool-run-") and len(name.rsplit("-", 1)[1]) == 12
    assert project.run("ps", "-q").stdout == ""  # one-off containers are listed with -a only
    rows = {r["Name"]: r for r in map(json.loads, project.run("ps", "-a", "--format", "json").stdout.splitlines())}
    row = rows[name]
    assert row["State"] == "running" and len(rows) == 2  # and the --entrypoint one, exited
    [pub] = row["Publishers"]
    assert pub["URL"] == "127.0.0.1" and pub["TargetPort"] == 80 and pub["PublishedPort"] > 0
    other = project.run("run", "-d", "--no-deps", "-p", "127.0.0.1::8080/udp", "tool", "sleep", "100").stdout.strip()
    rows = {r["Name"]: r for r in map(json.loads, project.run("ps", "-a", "--format", "json").stdout.splitlines())}
    assert [(p["TargetPort"], p["Protocol"]) for p in rows[other]["Publishers"]] == [(8080, "udp")]


def test_run_with_and_without_tty(project: Project) -> None:
    from tests.cli.test_exec import _in_pty

    project.write(APP)
    code, screen = _in_pty(project, "run", "--rm", "--no-deps", "tool", "sh", "-c",
                           "test -t 0 && test -t 1 && echo on-a-tty; exit 2")
    assert code == 2 and "on-a-tty" in screen, screen
    code, screen = _in_pty(project, "run", "--rm", "--no-deps", "-T", "tool", "sh", "-c",
                           "test -t 1 || echo no-tty")
    assert code == 0 and "no-tty" in screen, screen
    assert project.containers() == {}


def test_one_off_container_takes_the_service_name_only_with_use_aliases(project: Project) -> None:
    from pathlib import Path

    from runtime.api.networks import Networks
    from runtime.state import StateRoot

    project.write(APP)
    quiet = project.run("run", "-d", "--no-deps", "tool", "sleep", "100").stdout.strip()
    aliased = project.run("run", "-d", "--no-deps", "--use-aliases", "tool", "sleep", "100").stdout.strip()
    ids = project.ids()
    nets = Networks(StateRoot(Path(project.env["PYCOMPOSE_ROOT"]), Path(project.env["PYCOMPOSE_RUN"])))

    def names(container: str) -> set[str]:
        endpoint = nets.endpoint(ids[container])
        assert endpoint is not None
        return {alias for a in endpoint.attachments for alias in a.aliases}

    assert "tool" not in names(quiet) and quiet in names(quiet)
    assert {"tool", aliased} <= names(aliased)
