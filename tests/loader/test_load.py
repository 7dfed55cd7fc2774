"""``load_project`` end to end on small projects written to a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compose.errors import ConfigError, InterpolationError
from compose.loader.load import LoadedProject, LoadOptions, load_project


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def load(root: Path, *, cwd: str = ".", environ: dict[str, str] | None = None, services: tuple[str, ...] = (),
         **options: object) -> LoadedProject:
    opts = LoadOptions(environ=environ or {}, cwd=str(root / cwd), **options)  # type: ignore[arg-type]
    return load_project(opts, services=services)


def test_discovery_name_and_override(tmp_path: Path) -> None:
    write(tmp_path / "My App", {
        "compose.yaml": "services:\n  web:\n    image: nginx\n",
        "compose.override.yml": "services:\n  web:\n    image: nginx:alpine\n",
        "docker-compose.yml": "services:\n  ignored:\n    image: x\n",
        "sub/dir/.keep": "",
    })
    project = load(tmp_path / "My App", cwd="sub/dir")
    assert project.name == "myapp"
    assert project.working_dir == str(tmp_path / "My App")
    root = tmp_path / "My App"
    assert project.config_files == (str(root / "compose.yaml"), str(root / "compose.override.yml"))
    assert project.data["services"]["web"]["image"] == "nginx:alpine"
    assert "ignored" not in project.data["services"]


def test_no_compose_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no configuration file provided"):
        load(tmp_path, files=())


def test_env_precedence_and_project_name_variable(tmp_path: Path) -> None:
    write(tmp_path, {
        "compose.yaml": "name: ${PREFIX}-App\nservices:\n  web:\n    image: 'nginx:${TAG}'\n"
                        "    environment:\n      P: ${COMPOSE_PROJECT_NAME}\n      O: ${ONLY_DOTENV}\n",
        ".env": "TAG=dotenv\nPREFIX=team\nONLY_DOTENV=yes\n",
    })
    project = load(tmp_path, environ={"TAG": "shell"})
    assert project.name == "team-app"
    assert project.environment["TAG"] == "shell"
    assert project.environment["COMPOSE_PROJECT_NAME"] == "team-app"
    web = project.data["services"]["web"]
    assert web["image"] == "nginx:shell"
    assert web["environment"] == {"P": "team-app", "O": "yes"}


def test_project_name_precedence(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "name: fromfile\nservices:\n  web:\n    image: nginx\n"})
    assert load(tmp_path).name == "fromfile"
    assert load(tmp_path, environ={"COMPOSE_PROJECT_NAME": "fromenv"}).name == "fromenv"
    assert load(tmp_path, environ={"COMPOSE_PROJECT_NAME": "fromenv"}, project_name="flag").name == "flag"
    with pytest.raises(ConfigError, match='invalid project name "Bad"'):
        load(tmp_path, project_name="Bad")


def test_stdin(tmp_path: Path) -> None:
    project = load(tmp_path, files=("-",), stdin="services:\n  web:\n    image: 'nginx:${T:-x}'\n")
    assert project.data["services"]["web"]["image"] == "nginx:x"
    assert project.working_dir == str(tmp_path)


def test_no_interpolate(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  web:\n    image: 'nginx:${T:?missing}'\n"})
    with pytest.raises(InterpolationError):
        load(tmp_path)
    assert load(tmp_path, interpolate=False).data["services"]["web"]["image"] == "nginx:${T:?missing}"


def test_locate_points_at_the_last_file_that_set_a_value(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.yaml": "services:\n  web:\n    image: nginx\n    user: root\n",
        "b.yaml": "services:\n\n  web:\n    image: httpd\n",
    })
    project = load(tmp_path, files=("a.yaml", "b.yaml"))
    a, b = str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")
    assert project.locate(("services", "web", "image")) == (b, 4, 5)
    assert project.locate(("services", "web", "user")) == (a, 4, 5)
    assert project.locate(("services", "web", "user", "deeper")) == (a, 4, 5)
    assert project.locate(("nowhere",)) == (b, 1, 1)  # the document itself


def test_extends_from_another_file_resolves_its_paths(tmp_path: Path) -> None:
    write(tmp_path, {
        "compose.yaml": "services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: app\n"
                        "    environment:\n      LOCAL: '1'\n",
        "common/base.yaml": "services:\n  app:\n    image: app\n    build: ./src\n"
                            "    volumes: ['./data:/data']\n    environment:\n      BASE: '1'\n",
    })
    project = load(tmp_path)
    web = project.data["services"]["web"]
    assert web["build"]["context"] == str(tmp_path / "common/src")
    assert web["volumes"][0]["source"] == str(tmp_path / "common/data")
    assert web["environment"] == {"BASE": "1", "LOCAL": "1"}
    assert "app" not in project.data["services"]
    where = project.locate(("services", "web", "image"))
    assert where is not None and where[0] == str(tmp_path / "common/base.yaml")


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n"})
    with pytest.raises(ConfigError, match="Circular reference"):
        load(tmp_path)


def test_include_with_its_own_env_and_directory(tmp_path: Path) -> None:
    write(tmp_path, {
        "compose.yaml": "include:\n  - inc/compose.yaml\nservices:\n  web:\n    image: 'nginx:${TAG:-main}'\n",
        "inc/compose.yaml": "services:\n  db:\n    image: 'postgres:${TAG}'\n    build: ./ctx\n",
        "inc/.env": "TAG=included\n",
    })
    project = load(tmp_path)
    services = project.data["services"]
    assert services["web"]["image"] == "nginx:main"
    assert services["db"]["image"] == "postgres:included"
    assert services["db"]["build"]["context"] == str(tmp_path / "inc/ctx")
    where = project.locate(("services", "db", "image"))
    assert where is not None and where[0] == str(tmp_path / "inc/compose.yaml")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"compose.yaml": "include: [a.yaml]\nservices:\n  web:\n    image: x\n",
          "a.yaml": "include: [compose.yaml]\nservices:\n  a:\n    image: x\n"}, "include cycle detected"),
        ({"compose.yaml": "include: [a.yaml]\nservices:\n  web:\n    image: x\n",
          "a.yaml": "services:\n  web:\n    image: y\n"}, "services.web conflicts with imported resource"),
    ],
)
def test_include_errors(tmp_path: Path, files: dict[str, str], message: str) -> None:
    write(tmp_path, files)
    with pytest.raises(ConfigError, match=message):
        load(tmp_path)


PROFILES = """
services:
  web:
    image: nginx
    depends_on: [api]
  api:
    image: api
  db:
    image: postgres
    profiles: [db]
  tool:
    image: busybox
    profiles: [tools]
    depends_on: [web]
"""


def test_profiles_and_selection(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": PROFILES})
    assert sorted(load(tmp_path).data["services"]) == ["api", "web"]
    assert sorted(load(tmp_path, profiles=("db",)).data["services"]) == ["api", "db", "web"]
    assert sorted(load(tmp_path, environ={"COMPOSE_PROFILES": "tools"}).data["services"]) == ["api", "tool", "web"]
    assert sorted(load(tmp_path, profiles=("*",)).data["services"]) == ["api", "db", "tool", "web"]
    selected = load(tmp_path, services=("tool",))
    assert sorted(selected.data["services"]) == ["api", "tool", "web"]
    assert sorted(selected.disabled) == ["db"]
    assert sorted(load(tmp_path, services=("api",)).data["services"]) == ["api"]
    with pytest.raises(ConfigError, match="no such service: nope"):
        load(tmp_path, services=("nope",))


def test_depending_on_an_inactive_service(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  web:\n    image: x\n    depends_on: [db]\n"
                                     "  db:\n    image: y\n    profiles: [db]\n"})
    with pytest.raises(ConfigError, match='service "web" depends on undefined service "db"'):
        load(tmp_path)
    assert sorted(load(tmp_path, profiles=("db",)).data["services"]) == ["db", "web"]


def test_multi_document_file_and_reset(tmp_path: Path) -> None:
    write(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: x\n    ports: ['80:80']\n---\n"
                        "services:\n  web:\n    ports: !reset []\n    user: me\n",
    })
    web = load(tmp_path).data["services"]["web"]
    assert "ports" not in web
    assert web["user"] == "me"


def test_empty_and_invalid_files(tmp_path: Path) -> None:
    write(tmp_path, {"empty.yaml": "", "list.yaml": "- a\n", "bad.yaml": "services: [\n"})
    with pytest.raises(ConfigError, match="empty compose file"):
        load(tmp_path, files=("empty.yaml",))
    with pytest.raises(ConfigError, match="top-level object must be a mapping"):
        load(tmp_path, files=("list.yaml",))
    with pytest.raises(ConfigError, match="invalid YAML"):
        load(tmp_path, files=("bad.yaml",))


def test_relative_env_file_flag_is_relative_to_the_current_directory(tmp_path: Path) -> None:
    write(tmp_path, {"proj/compose.yaml": "services:\n  web:\n    image: 'x:${T}'\n", "envs/x.env": "T=flag\n"})
    project = load(tmp_path, files=("proj/compose.yaml",), env_files=("envs/x.env",))
    assert project.data["services"]["web"]["image"] == "x:flag"
    assert os.path.isabs(project.working_dir) and project.working_dir.endswith("proj")


def test_warnings_for_unset_variables_and_version(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "version: '3'\nservices:\n  web:\n    image: 'x${UNSET}${UNSET}${D:-d}'\n"})
    project = load(tmp_path)
    assert project.warnings == (
        'The "UNSET" variable is not set. Defaulting to a blank string.',
        f"{tmp_path / 'compose.yaml'}: the attribute `version` is obsolete, it will be ignored, "
        "please remove it to avoid potential confusion",
    )
    assert "version" not in project.data


def test_a_base_from_another_file_does_not_move_positions_of_this_project(tmp_path: Path) -> None:
    write(tmp_path, {
        "compose.yaml": "services:\n  app:\n    image: mine\n  web:\n    extends:\n      file: base.yaml\n"
                        "      service: app\n",
        "base.yaml": "services:\n  app:\n    image: theirs\n    user: base\n",
    })
    project = load(tmp_path)
    assert project.locate(("services", "app", "image")) == (str(tmp_path / "compose.yaml"), 3, 5)
    assert project.locate(("services", "web", "user")) == (str(tmp_path / "base.yaml"), 4, 5)
    assert project.data["services"]["web"]["image"] == "theirs"
