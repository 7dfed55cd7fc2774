"""``build:`` in a compose file: ``up`` builds what is missing, ``up --build`` rebuilds and
recreates only what changed, ``pycompose build`` and ``--print``."""

from __future__ import annotations

import json

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project
pytestmark = pytest.mark.integration

COMPOSE = """
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
  api:
    build: ./api
    depends_on: [db]
  web:
    build:
      context: ./web
      dockerfile: web.Dockerfile
      args: {GREETING: hello-web}
    depends_on: [api]
"""


def _files(project: Project) -> None:
    (project.dir / "api").mkdir()
    (project.dir / "api" / "Dockerfile").write_text('FROM busybox\nCOPY msg /msg\nCMD ["sh", "-c", "cat /msg; '
                                                    'sleep 1000"]\n')
    (project.dir / "api" / "msg").write_text("api-1\n")
    (project.dir / "web").mkdir()
    (project.dir / "web" / "web.Dockerfile").write_text('FROM busybox\nARG GREETING\nRUN echo "$GREETING" > /g\n'
                                                        'CMD ["sh", "-c", "cat /g; sleep 1000"]\n')
    project.write(COMPOSE)


def _exec(project: Project, service: str, *cmd: str) -> str:
    return project.run("exec", "-T", service, *cmd).stdout


def test_up_builds_missing_images_and_up_build_recreates_only_what_changed(project: Project) -> None:
    _files(project)
    project.run("up", "-d")
    assert _exec(project, "api", "cat", "/msg") == "api-1\n"
    assert _exec(project, "web", "cat", "/g") == "hello-web\n"
    before = project.ids()
    project.run("up", "-d")  # images exist: nothing is built or recreated
    assert project.ids() == before
    (project.dir / "api" / "msg").write_text("api-2\n")
    project.run("up", "-d", "--build")
    after = project.ids()
    assert after[f"{project.name}-api-1"] != before[f"{project.name}-api-1"]
    assert after[f"{project.name}-web-1"] == before[f"{project.name}-web-1"]
    assert after[f"{project.name}-db-1"] == before[f"{project.name}-db-1"]
    assert _exec(project, "api", "cat", "/msg") == "api-2\n"


def test_build_command_and_print(project: Project) -> None:
    _files(project)
    printed = json.loads(project.run("build", "--print").stdout)
    assert sorted(printed["target"]) == ["api", "web"]
    assert printed["target"]["web"]["args"] == {"GREETING": "hello-web"}
    assert printed["target"]["api"]["tags"] == [f"{project.name}-api"]
    done = project.run("build", "--build-arg", "GREETING=from-cli", "web")
    assert "RUN" in done.stderr
    out = project.run("container", "run", "--rm", f"{project.name}-web", "cat", "/g").stdout
    assert out == "from-cli\n"
    bad = project.write(COMPOSE.replace("./api", "./nowhere"))
    failed = project.run("-f", str(bad), "build", "api", check=False)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr


def test_additional_contexts_a_service_image_and_a_directory(project: Project) -> None:
    (project.dir / "base").mkdir()
    (project.dir / "base" / "Dockerfile").write_text("FROM busybox\nRUN echo base-made > /base\n")
    (project.dir / "shared").mkdir()
    (project.dir / "shared" / "conf").write_text("shared-conf\n")
    (project.dir / "app").mkdir()
    (project.dir / "app" / "Dockerfile").write_text("FROM base\nCOPY --from=shared conf /conf\n"
                                                    'CMD ["sh", "-c", "cat /base /conf; sleep 1000"]\n')
    project.write("""
services:
  app:
    build:
      context: ./app
      additional_contexts: {base: "service:base", shared: ./shared}  # paths: from the project directory
  base:
    build: ./base
    command: ["sleep", "1000"]
""")
    project.run("build")  # base first: app's FROM names its image
    out = project.run("container", "run", "--rm", f"{project.name}-app", "cat", "/base", "/conf").stdout
    assert out == "base-made\nshared-conf\n"
    (project.dir / "base" / "Dockerfile").write_text("FROM busybox\nRUN echo base-remade > /base\n")
    project.run("build")
    out = project.run("container", "run", "--rm", f"{project.name}-app", "cat", "/base").stdout
    assert out == "base-remade\n"  # the new base image is what app stands on
