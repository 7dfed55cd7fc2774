"""``ps`` end to end: running vs all, -q, --services, --status/--filter, Docker Compose's JSON fields."""

from __future__ import annotations

import json

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

# the end-to-end fixtures: a project on a private state root, checked for leftovers afterwards
net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web says hello; echo web on stderr >&2; exec sleep 1000"]
    ports: ["127.0.0.1::80"]
  job:
    image: busybox
    command: ["sh", "-c", "echo job done; exit 3"]
"""

FIELDS = {"Command", "CreatedAt", "ExitCode", "Health", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Name",
          "Names", "Networks", "Ports", "Project", "Publishers", "RunningFor", "Service", "Size", "State", "Status"}


def _up(p: Project) -> None:
    p.write(APP)
    p.run("up", "-d")
    p.run("wait", "job", check=False)


def test_ps_running_all_quiet_services_and_status(project: Project) -> None:
    _up(project)
    web, job = f"{project.name}-web-1", f"{project.name}-job-1"
    table = project.run("ps").stdout.splitlines()
    assert table[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    assert [line.split()[0] for line in table[1:]] == [web]
    assert "127.0.0.1:" in table[1] and "->80/tcp" in table[1]
    every = [line.split()[0] for line in project.run("ps", "-a").stdout.splitlines()[1:]]
    assert every == [job, web]
    ids = project.ids()
    assert project.run("ps", "-q").stdout.split() == [ids[web]]
    assert project.run("ps", "-a", "--services").stdout.split() == ["job", "web"]
    assert project.run("ps", "--status", "exited", "--services").stdout.split() == ["job"]
    assert project.run("ps", "--filter", "status=running", "-q").stdout.split() == [ids[web]]
    bad = project.run("ps", "--filter", "color=red", check=False)
    assert bad.returncode == 1 and "filter" in bad.stderr
    assert project.run("ps", "-a", "--format", "{{.Service}}:{{.State}}").stdout.split() == \
        ["job:exited", "web:running"]


def test_ps_json_uses_docker_compose_field_names(project: Project) -> None:
    _up(project)
    rows = [json.loads(line) for line in project.run("ps", "-a", "--format", "json").stdout.splitlines()]
    assert [r["Service"] for r in rows] == ["job", "web"]
    for row in rows:
        assert set(row) >= FIELDS, FIELDS - set(row)
        assert row["Project"] == project.name and row["Image"] == "busybox"
        assert len(row["ID"]) == 64
    job, web = rows
    assert (job["State"], job["ExitCode"]) == ("exited", 3) and job["Status"].startswith("Exited (3)")
    assert web["State"] == "running" and web["Status"].startswith("Up")
    [pub] = web["Publishers"]
    assert (pub["URL"], pub["TargetPort"], pub["Protocol"]) == ("127.0.0.1", 80, "tcp") and pub["PublishedPort"] > 0
    assert web["Ports"] == f"127.0.0.1:{pub['PublishedPort']}->80/tcp"
    assert web["Networks"] == f"{project.name}_default"
    assert "com.docker.compose.service=web" in web["Labels"].split(",")
