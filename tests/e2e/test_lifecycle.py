"""``create``, ``start``, ``stop``, ``restart``, ``rm`` and ``down`` details, end to end."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.integration

PAIR = """
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
  web:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [db]
"""


def status(p: Project) -> dict[str, str]:
    return {name.rsplit("-", 2)[1]: d["State"]["Status"] for name, d in p.containers().items()}


def test_create_then_start_stop_restart_rm(project: Project) -> None:
    project.write(PAIR)
    project.run("create")
    assert status(project) == {"db": "created", "web": "created"}
    project.run("start")
    assert status(project) == {"db": "running", "web": "running"}
    err = project.run("stop").stderr
    # web stops before what it depends on
    assert err.index(f"{project.name}-web-1  Stopped") < err.index(f"{project.name}-db-1  Stopping")
    assert status(project) == {"db": "exited", "web": "exited"}
    project.run("start", "web")
    assert status(project)["web"] == "running"
    before = project.containers()[f"{project.name}-web-1"]["State"]["StartedAt"]
    project.run("restart", "web")
    after = project.containers()[f"{project.name}-web-1"]
    assert after["State"]["Status"] == "running" and after["State"]["StartedAt"] != before
    project.run("stop", "web")
    project.run("rm", "-f", "web")
    assert sorted(status(project)) == ["db"]
    project.run("rm", "-f", "-s")
    assert status(project) == {}


def test_start_without_containers_fails(project: Project) -> None:
    project.write(PAIR)
    done = project.run("start", check=False)
    assert done.returncode == 1 and "no container" in done.stderr


def test_down_by_project_name_alone(project: Project) -> None:
    project.write(PAIR)
    project.run("up", "-d")
    (project.dir / "compose.yaml").rename(project.dir / "elsewhere.yaml")
    project.run("down", "-t", "0")
    assert status(project) == {}
    (project.dir / "elsewhere.yaml").rename(project.dir / "compose.yaml")


def test_up_no_start_then_up_starts(project: Project) -> None:
    project.write(PAIR)
    project.run("up", "-d", "--no-start")
    assert status(project) == {"db": "created", "web": "created"}
    ids = project.ids()
    project.run("up", "-d")
    assert status(project) == {"db": "running", "web": "running"}
    assert project.ids() == ids


def test_up_one_service_with_and_without_deps(project: Project) -> None:
    project.write(PAIR)
    project.run("up", "-d", "--no-deps", "web")
    assert sorted(status(project)) == ["web"]
    project.run("up", "-d", "web")
    assert sorted(status(project)) == ["db", "web"]


def test_network_mode_service_joins_and_follows_a_recreated_container(project: Project) -> None:
    text = """
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
    environment: {{V: "{v}"}}
  side:
    image: busybox
    command: ["sleep", "1000"]
    network_mode: "service:db"
"""
    project.write(text.format(v=1))
    project.run("up", "-d")
    db, side = f"{project.name}-db-1", f"{project.name}-side-1"

    def netns(name: str) -> int:
        pid = project.containers()[name]["State"]["Pid"]
        return os.stat(f"/proc/{pid}/ns/net").st_ino

    assert netns(db) == netns(side)
    project.write(text.format(v=2))
    err = project.run("up", "-d").stderr
    assert f"Container {side}  Recreate (db was recreated)" in err
    assert netns(db) == netns(side)


def test_down_rmi_all_removes_the_images_of_the_services(project: Project) -> None:
    project.write(PAIR)
    project.run("up", "-d")
    project.run("down", "--rmi", "all", "-t", "0")
    listing = project.run("image", "ls").stdout
    assert "busybox " not in listing and "busybox-volume" in listing
