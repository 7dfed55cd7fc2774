"""``up``/``down`` end to end on busybox: volumes, recreation, no-op, orphans, scale, errors."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Project, inspect_labels

pytestmark = pytest.mark.integration

TWO = """
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    volumes: ["data:/data"]
  api:
    image: busybox
    command: ["sleep", "1000"]
    environment: {{MODE: "{mode}"}}
    depends_on:
      db: {{condition: service_started, restart: true}}
  web:
    image: busybox
    command: ["sleep", "1000"]
    environment: {{COLOR: "{color}"}}
    depends_on: [api]
volumes:
  data: {{}}
"""


def _up(p: Project, *args: str) -> str:
    return p.run("up", "-d", *args).stderr


def test_named_volume_survives_down_and_down_v_removes_it(project: Project) -> None:
    project.write(TWO.format(mode="a", color="red"))
    _up(project)
    db = f"{project.name}-db-1"
    project.run("container", "exec", db, "sh", "-c", "echo kept > /data/file")
    assert f"{project.name}_data" in project.volumes()
    project.run("down")
    assert not project.containers()
    assert f"{project.name}_data" in project.volumes()
    _up(project)
    out = project.run("container", "exec", db, "cat", "/data/file").stdout
    assert out.strip() == "kept"
    # the image's own content was copied in on first use, as Docker does
    assert project.run("container", "exec", db, "ls", "/data").stdout.split() == ["file", "new.txt"]
    project.run("down", "-v")
    assert f"{project.name}_data" not in project.volumes()


def test_only_changed_services_are_recreated_and_restart_dependents(project: Project) -> None:
    project.write(TWO.format(mode="a", color="red"))
    _up(project)
    before = project.containers()
    project.write(TWO.format(mode="a", color="blue"))
    err = _up(project)
    assert f"Container {project.name}-web-1  Recreate (environment changed)" in err
    after = project.containers()
    web, api, db = (f"{project.name}-{s}-1" for s in ("web", "api", "db"))
    assert after[web]["Id"] != before[web]["Id"]
    assert after[api]["Id"] == before[api]["Id"]
    assert after[api]["State"]["StartedAt"] == before[api]["State"]["StartedAt"]
    assert after[db]["Id"] == before[db]["Id"]
    # db changes: api (restart: true) is restarted in place, web keeps running
    project.write(TWO.format(mode="a", color="blue").replace("sleep 0.1", "sleep 0.2"))
    err = _up(project)
    assert "command changed" in err
    last = project.containers()
    assert last[db]["Id"] != after[db]["Id"]
    assert last[api]["Id"] == after[api]["Id"]
    assert last[api]["State"]["StartedAt"] != after[api]["State"]["StartedAt"]
    assert last[web]["State"]["StartedAt"] == after[web]["State"]["StartedAt"]
    labels = inspect_labels(last[api])
    assert labels["com.docker.compose.depends_on"] == "db:service_started:true"
    assert labels["com.docker.compose.service"] == "api"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert labels["com.docker.compose.project"] == project.name
    hashes = project.run("config", "--hash", "api").stdout.split()
    assert labels["com.docker.compose.config-hash"] == hashes[1]


def test_noop_up_keeps_every_id_and_start_time(project: Project) -> None:
    project.write(TWO.format(mode="a", color="red"))
    _up(project)
    before = project.containers()
    err = _up(project)
    after = project.containers()
    assert {n: (d["Id"], d["State"]["StartedAt"]) for n, d in after.items()} == \
        {n: (d["Id"], d["State"]["StartedAt"]) for n, d in before.items()}
    assert "Recreate" not in err and "Started" not in err


def test_dry_run_prints_the_plan_and_touches_nothing(project: Project) -> None:
    project.write(TWO.format(mode="a", color="red"))
    err = project.run("--dry-run", "up", "-d").stderr
    assert f"Container {project.name}-db-1  Create" in err
    assert f"Network {project.name}_default  Create" in err
    assert not project.containers()
    assert f"{project.name}_data" not in project.volumes()


def test_orphans_are_reported_then_removed(project: Project) -> None:
    project.write(TWO.format(mode="a", color="red"))
    _up(project)
    project.write("""
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
""")
    err = _up(project)
    assert "Found orphan containers" in err
    assert f"{project.name}-web-1" in project.containers()
    _up(project, "--remove-orphans")
    assert sorted(project.containers()) == [f"{project.name}-db-1"]


def test_scale_up_and_down(project: Project) -> None:
    project.write("""
services:
  w:
    image: busybox
    command: ["sleep", "1000"]
    deploy: {replicas: 2}
""")
    _up(project)
    names = sorted(project.containers())
    assert names == [f"{project.name}-w-1", f"{project.name}-w-2"]
    first = project.ids()
    _up(project, "--scale", "w=3")
    ids = project.ids()
    assert len(ids) == 3 and all(ids[n] == first[n] for n in first)
    _up(project, "--scale", "w=1")
    assert project.ids() == {f"{project.name}-w-1": first[f"{project.name}-w-1"]}


def test_compose_file_error_changes_nothing(project: Project) -> None:
    project.write(TWO.format(mode="a", color="red"))
    _up(project)
    before = project.containers()
    project.write(TWO.format(mode="a", color="red") + "  bogus: [\n")
    done = project.run("up", "-d", check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    project.write(TWO.format(mode="b", color="red").replace("image: busybox\n    command: [\"sleep\", \"1000\"]\n"
                                                           "    environment: {MODE",
                                                           "image: nosuchimage\n    command: [\"sleep\", \"1000\"]\n"
                                                           "    environment: {MODE"))
    done = project.run("up", "-d", check=False)
    assert done.returncode == 1 and "nosuchimage" in done.stderr
    after = project.containers()
    assert {n: (d["Id"], d["State"]["StartedAt"]) for n, d in after.items()} == \
        {n: (d["Id"], d["State"]["StartedAt"]) for n, d in before.items()}
    project.write(TWO.format(mode="a", color="red"))


def test_one_host_port_published_twice_is_refused_before_anything_is_created(project: Project) -> None:
    project.write("""
services:
  a:
    image: busybox
    command: ["sleep", "1000"]
    ports: ["18080:80"]
  b:
    image: busybox
    command: ["sleep", "1000"]
    ports: ["127.0.0.1:18080:8080"]
""")
    assert project.run("config", "-q", check=False).returncode == 0
    done = project.run("up", "-d", check=False)
    assert done.returncode == 1
    assert "18080" in done.stderr
    assert not project.containers()
