"""Which files, which directory, which variables, which profiles: the project's
setting before any compose file is read, decided as Docker Compose decides it.

1. ``--project-directory`` (made absolute) if given;
2. the process environment, plus ``PWD`` when it is missing;
3. the env files: ``--env-file`` (or ``COMPOSE_ENV_FILES``), else ``.env`` of the
   working directory unless ``COMPOSE_DISABLE_ENV_FILE`` is true; their variables
   never override the process environment;
4. the compose files: ``-f``, else ``COMPOSE_FILE`` (split by
   ``COMPOSE_PATH_SEPARATOR`` or ``:``), else ``compose.yaml`` & co. searched upward
   from the working directory with their ``*.override.*`` companion;
5. the env files once more, now that the working directory may be the first file's;
6. the profiles: ``--profile``, else ``COMPOSE_PROFILES`` (comma separated).

The working directory is the project directory, else the first file's directory,
else the current directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from compose.errors import ConfigError
from compose.loader import observe
from compose.loader.dotenv import read_env_files

__all__ = [
    "DEFAULT_FILES",
    "OVERRIDE_FILES",
    "Setting",
    "discover",
    "invalid_project_name",
    "normalize_project_name",
]

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
_NAME_CHARS = re.compile(r"[a-z0-9_-]")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class Setting:
    """What discovery decided."""

    files: tuple[str, ...]  # absolute paths, or '-'
    working_dir: str
    environment: dict[str, str]  # process environment + env files (process wins)
    env_files: tuple[str, ...]
    profiles: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def normalize_project_name(name: str) -> str:
    """Lower case, only ``[a-z0-9_-]`` kept, no leading ``_``/``-``."""
    return "".join(_NAME_CHARS.findall(name.lower())).lstrip("_-")


def invalid_project_name(name: str) -> ConfigError:
    return ConfigError(
        f'invalid project name "{name}": must consist only of lowercase alphanumeric characters, '
        "hyphens, and underscores as well as start with a letter or number"
    )


def _parse_bool(text: str, name: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f'strconv.ParseBool: parsing "{text}": invalid syntax', hint=f"{name} must be true or false")


def _abspath(path: str, cwd: str) -> str:
    return os.path.normpath(os.path.join(cwd, path))


def _working_dir(project_dir: str | None, files: tuple[str, ...], cwd: str) -> str:
    if project_dir:
        return project_dir
    for name in files:
        if name != "-":
            return os.path.dirname(_abspath(name, cwd))
    return cwd


def _default_env_files(
    explicit: tuple[str, ...], environ: Mapping[str, str], working_dir: str
) -> tuple[str, ...] | None:
    """The env files to read; ``None`` keeps the previous choice (no ``.env`` here)."""
    if explicit:
        return explicit
    disabled = environ.get("COMPOSE_DISABLE_ENV_FILE")
    if disabled is not None and _parse_bool(disabled, "COMPOSE_DISABLE_ENV_FILE"):
        return ()
    candidate = os.path.join(working_dir, ".env")
    if not observe.exists(candidate):
        return None
    return () if observe.isdir(candidate) else (candidate,)


def _search(start: str, warnings: list[str]) -> tuple[str, ...]:
    directory = start
    while True:
        found = [os.path.join(directory, n) for n in DEFAULT_FILES if observe.exists(os.path.join(directory, n))]
        if found:
            overrides = [
                os.path.join(directory, n) for n in OVERRIDE_FILES if observe.exists(os.path.join(directory, n))
            ]
            for kind, names in (("config", found), ("override", overrides)):
                if len(names) > 1:
                    warnings.append(f"Found multiple {kind} files with supported names: {', '.join(names)}; "
                                    f"using {names[0]}")
            return (found[0], *overrides[:1])
        parent = os.path.dirname(directory)
        if parent == directory:
            return ()
        directory = parent


def _compose_file_env(environment: Mapping[str, str], cwd: str) -> tuple[str, ...] | None:
    value = environment.get("COMPOSE_FILE")
    if value is None:
        return None
    separator = environment.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    out = []
    for name in value.split(separator):
        if name == "-":
            out.append(name)
            continue
        path = _abspath(name, cwd)
        if not observe.exists(path):
            raise ConfigError(f"stat {path}: no such file or directory", hint="set by COMPOSE_FILE")
        out.append(path)
    return tuple(out)


def discover(
    *,
    files: tuple[str, ...],
    project_directory: str | None,
    env_files: tuple[str, ...],
    profiles: tuple[str, ...],
    environ: Mapping[str, str],
    cwd: str,
) -> Setting:
    """Apply the steps of the module docstring."""
    cwd = os.path.abspath(cwd)
    project_dir = _abspath(project_directory, cwd) if project_directory else None
    environment = dict(environ)
    environment.setdefault("PWD", cwd)
    if not env_files and environ.get("COMPOSE_ENV_FILES"):
        env_files = tuple(f for f in environ["COMPOSE_ENV_FILES"].split(",") if f)

    chosen: tuple[str, ...] = ()

    def read_env(working_dir: str) -> None:
        nonlocal chosen
        picked = _default_env_files(env_files, environ, working_dir)
        if picked is not None:
            chosen = picked
        values = read_env_files(chosen, environment, cwd=cwd)
        for key, value in values.items():
            environment.setdefault(key, value)

    read_env(_working_dir(project_dir, files, cwd))
    found = files
    if not found:
        found = _compose_file_env(environment, cwd) or ()
    warnings: list[str] = []
    if not found:
        found = _search(project_dir or cwd, warnings)
    found = tuple(f if f == "-" else _abspath(f, cwd) for f in found)
    working_dir = _working_dir(project_dir, found, cwd)
    read_env(working_dir)

    if not profiles:
        profiles = tuple(p.strip() for p in environment.get("COMPOSE_PROFILES", "").split(","))
    return Setting(found, working_dir, environment, chosen, tuple(profiles), tuple(warnings))
