"""Discovery: compose files, working directory, env files, profiles, project names."""

from __future__ import annotations

from pathlib import Path

import pytest

from compose.errors import ConfigError
from compose.loader.discovery import discover, normalize_project_name


def touch(root: Path, *names: str, text: str = "services: {}\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run(root: Path, cwd: str = ".", **kwargs: object):
    defaults: dict[str, object] = {"files": (), "project_directory": None, "env_files": (), "profiles": (),
                                   "environ": {}}
    defaults.update(kwargs)
    return discover(cwd=str(root / cwd), **defaults)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        (["compose.yaml", "compose.yml", "docker-compose.yml"], ["compose.yaml"]),
        (["compose.yml", "docker-compose.yaml"], ["compose.yml"]),
        (["docker-compose.yaml", "docker-compose.yml"], ["docker-compose.yml"]),
        (["compose.yaml", "docker-compose.override.yml", "compose.override.yaml"],
         ["compose.yaml", "compose.override.yaml"]),
        (["docker-compose.yml", "compose.override.yml"], ["docker-compose.yml", "compose.override.yml"]),
    ],
)
def test_default_names_and_their_order(tmp_path: Path, present: list[str], chosen: list[str]) -> None:
    touch(tmp_path, *present)
    setting = run(tmp_path)
    assert setting.files == tuple(str(tmp_path / n) for n in chosen)
    if len(present) > len(chosen):
        assert setting.warnings and all(str(tmp_path / chosen[0]) in w or "override" in w for w in setting.warnings)


def test_search_goes_upward_and_sets_the_working_dir(tmp_path: Path) -> None:
    touch(tmp_path, "compose.yaml", "a/b/.keep")
    setting = run(tmp_path, "a/b")
    assert setting.files == (str(tmp_path / "compose.yaml"),)
    assert setting.working_dir == str(tmp_path)


def test_nothing_found(tmp_path: Path) -> None:
    assert run(tmp_path).files == ()


def test_compose_file_variable_and_separator(tmp_path: Path) -> None:
    touch(tmp_path, "a.yaml", "b.yaml", "compose.yaml")
    setting = run(tmp_path, environ={"COMPOSE_FILE": "a.yaml:b.yaml"})
    assert setting.files == (str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    setting = run(tmp_path, environ={"COMPOSE_FILE": "a.yaml;b.yaml", "COMPOSE_PATH_SEPARATOR": ";"})
    assert setting.files == (str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    with pytest.raises(ConfigError, match="no such file"):
        run(tmp_path, environ={"COMPOSE_FILE": "missing.yaml"})
    # -f wins over COMPOSE_FILE
    assert run(tmp_path, files=("b.yaml",), environ={"COMPOSE_FILE": "a.yaml"}).files == (str(tmp_path / "b.yaml"),)


def test_dotenv_can_name_the_files_and_never_overrides_the_environment(tmp_path: Path) -> None:
    touch(tmp_path, "other.yaml")
    touch(tmp_path, ".env", text="COMPOSE_FILE=other.yaml\nA=dotenv\nB=dotenv\n")
    setting = run(tmp_path, environ={"A": "shell"})
    assert setting.files == (str(tmp_path / "other.yaml"),)
    assert setting.environment["A"] == "shell"
    assert setting.environment["B"] == "dotenv"
    assert setting.env_files == (str(tmp_path / ".env"),)
    assert setting.environment["PWD"] == str(tmp_path)


def test_dotenv_of_the_directory_found_upward_is_read_too(tmp_path: Path) -> None:
    touch(tmp_path, "compose.yaml")
    touch(tmp_path, ".env", text="A=top\nB=top\n")
    touch(tmp_path, "sub/.env", text="A=sub\n")
    setting = run(tmp_path, "sub")
    assert (setting.environment["A"], setting.environment["B"]) == ("sub", "top")


def test_env_files_flag_variable_and_disable(tmp_path: Path) -> None:
    touch(tmp_path, "compose.yaml")
    touch(tmp_path, ".env", text="A=dotenv\n")
    touch(tmp_path, "x.env", text="A=x\n")
    touch(tmp_path, "y.env", text="A=y\n")
    assert run(tmp_path, env_files=("x.env",)).environment["A"] == "x"
    assert run(tmp_path, environ={"COMPOSE_ENV_FILES": "x.env,y.env"}).environment["A"] == "y"
    assert "A" not in run(tmp_path, environ={"COMPOSE_DISABLE_ENV_FILE": "1"}).environment
    assert run(tmp_path, environ={"COMPOSE_DISABLE_ENV_FILE": "false"}).environment["A"] == "dotenv"
    with pytest.raises(ConfigError, match="invalid syntax"):
        run(tmp_path, environ={"COMPOSE_DISABLE_ENV_FILE": "maybe"})


def test_project_directory(tmp_path: Path) -> None:
    touch(tmp_path, "compose.yaml", "proj/.keep")
    touch(tmp_path, "proj/.env", text="A=proj\n")
    setting = run(tmp_path, files=("compose.yaml",), project_directory="proj")
    assert setting.working_dir == str(tmp_path / "proj")
    assert setting.environment["A"] == "proj"


def test_profiles(tmp_path: Path) -> None:
    touch(tmp_path, "compose.yaml")
    assert run(tmp_path, environ={"COMPOSE_PROFILES": "a, b"}).profiles == ("a", "b")
    assert run(tmp_path, profiles=("c",), environ={"COMPOSE_PROFILES": "a"}).profiles == ("c",)


@pytest.mark.parametrize(
    ("name", "normalized"),
    [("My App", "myapp"), ("__x", "x"), ("-_a-b_c", "a-b_c"), ("ÄÖ.x1", "x1"), ("ok", "ok"), ("", "")],
)
def test_normalize_project_name(name: str, normalized: str) -> None:
    assert normalize_project_name(name) == normalized
