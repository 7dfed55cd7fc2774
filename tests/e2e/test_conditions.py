"""``depends_on`` conditions, ``--wait``, ``--exit-code-from`` and an attached ``up``, end to end."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.integration

CONDITIONS = """
services:
  init:
    image: busybox
    command: ["sh", "-c", "sleep 0.5; echo done > /shared/init; exit {init_exit}"]
    volumes: ["shared:/shared"]
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; while true; do sleep 0.1; done"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 0.3s
      start_interval: 0.2s
      start_period: 20s
  app:
    image: busybox
    command: ["sh", "-c", "test -f /shared/init && echo app saw init; sleep 1000"]
    volumes: ["shared:/shared"]
    depends_on:
      db: {{condition: service_healthy}}
      init: {{condition: service_completed_successfully}}
volumes:
  shared: {{}}
"""


def test_healthy_and_completed_conditions_order_start(project: Project) -> None:
    project.write(CONDITIONS.format(init_exit=0))
    err = project.run("up", "-d").stderr
    c = project.containers()
    app, db, init = (c[f"{project.name}-{s}-1"] for s in ("app", "db", "init"))
    assert init["State"]["Status"] == "exited" and init["State"]["ExitCode"] == 0
    # app started only after init finished and db was healthy
    assert app["State"]["StartedAt"] > init["State"]["FinishedAt"]
    assert db["State"]["Health"]["Status"] == "healthy"
    health_log = db["State"]["Health"]["Log"]
    assert any(entry["ExitCode"] == 0 and entry["Start"] < app["State"]["StartedAt"] for entry in health_log)
    assert err.index(f"{project.name}-db-1  Healthy") < err.index(f"{project.name}-app-1  Started")
    out = project.run("container", "logs", f"{project.name}-app-1").stdout
    assert "app saw init" in out


def test_completed_successfully_fails_clearly_on_a_non_zero_exit(project: Project) -> None:
    project.write(CONDITIONS.format(init_exit=4))
    done = project.run("up", "-d", check=False)
    assert done.returncode == 1
    assert "service \"init\" didn't complete successfully: exit 4" in done.stderr
    assert "Traceback" not in done.stderr
    assert f"{project.name}-app-1" not in project.containers()


def test_optional_dependency_failure_is_a_warning(project: Project) -> None:
    text = CONDITIONS.format(init_exit=4).replace("init: {condition: service_completed_successfully}",
                                                   "init: {condition: service_completed_successfully, "
                                                   "required: false}")
    project.write(text)
    done = project.run("up", "-d", check=False)
    assert done.returncode == 0, done.stderr
    assert "optional dependency init" in done.stderr
    assert project.containers()[f"{project.name}-app-1"]["State"]["Status"] == "running"


def test_wait_returns_once_healthy(project: Project) -> None:
    project.write("""
services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 0.3s
      start_interval: 0.2s
      start_period: 20s
""")
    project.run("up", "--wait", "--wait-timeout", "60")
    db = project.containers()[f"{project.name}-db-1"]
    assert db["State"]["Health"]["Status"] == "healthy"


def test_wait_fails_on_an_unhealthy_container(project: Project) -> None:
    project.write("""
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 0.2s
      retries: 1
""")
    done = project.run("up", "--wait", "--wait-timeout", "60", check=False)
    assert done.returncode == 1
    assert "unhealthy" in done.stderr


def test_exit_code_from_returns_that_service_code_and_stops_the_rest(project: Project) -> None:
    project.write("""
services:
  server:
    image: busybox
    command: ["sleep", "1000"]
  job:
    image: busybox
    command: ["sh", "-c", "echo working; sleep 0.5; exit 7"]
    depends_on: [server]
""")
    done = project.run("up", "--exit-code-from", "job", "--no-color", check=False)
    assert done.returncode == 7, done.stderr
    assert re.search(r"^job-1 +\| working$", done.stdout, re.M)
    assert "job-1 exited with code 7" in done.stdout
    assert f"{project.name}-job-1 exited" not in done.stdout  # names without the project, as Docker Compose
    server = project.containers()[f"{project.name}-server-1"]
    assert server["State"]["Status"] == "exited"


def test_attached_up_ends_when_every_container_has_exited(project: Project) -> None:
    project.write("""
services:
  a:
    image: busybox
    command: ["echo", "from a"]
  b:
    image: busybox
    command: ["echo", "from b"]
""")
    done = project.run("up", "--no-log-prefix")
    lines = done.stdout.splitlines()
    assert "from a" in lines and "from b" in lines


def test_ctrl_c_stops_gracefully_and_a_second_one_kills(project: Project) -> None:
    import signal

    project.write("""
services:
  plain:
    image: busybox
    command: ["sleep", "1000"]
  stubborn:
    image: busybox
    command: ["sh", "-c", "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.1; done"]
    stop_grace_period: 1m
""")
    proc = project.popen("up", "--no-color")
    assert proc.stdout is not None
    seen = ""
    while "ready" not in seen:
        line = proc.stdout.readline()
        assert line, "up ended before the containers were ready"
        seen += line
    proc.send_signal(signal.SIGINT)
    while "got TERM" not in seen:
        line = proc.stdout.readline()
        assert line, "the stop signal never reached the container"
        seen += line
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Gracefully Stopping" in err
    states = {name: d["State"] for name, d in project.containers().items()}
    assert all(s["Status"] == "exited" for s in states.values())
    assert states[f"{project.name}-stubborn-1"]["ExitCode"] == 137


def test_volumes_from_shares_another_service_mounts(project: Project) -> None:
    project.write("""
services:
  owner:
    image: busybox
    command: ["sh", "-c", "echo shared > /v/f; sleep 1000"]
    volumes: ["vol:/v"]
  reader:
    image: busybox
    command: ["sleep", "1000"]
    volumes_from: ["owner:ro"]
volumes:
  vol: {}
""")
    project.run("up", "-d")
    reader = f"{project.name}-reader-1"
    out = project.run("container", "exec", reader, "cat", "/v/f").stdout
    assert out == "shared\n"
    done = project.run("container", "exec", reader, "touch", "/v/x", check=False)
    assert done.returncode != 0
