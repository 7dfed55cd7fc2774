"""The loader conformance cases (``tests/conformance/cases/loader-*``) checked against
Docker Compose itself, through ``load_project`` directly.

The conformance runner checks the same cases through the CLI; this test pins the
loader alone, with the same accept/reject decision and the same JSON. A case may
name a ``cwd`` (relative to the case) to start discovery from, next to ``args`` and
``env``, and ``config_args`` (only ``--no-path-resolution`` is understood here; cases
with other ``config`` flags are left to the runner, as the command shapes them).
Cases that need standard input or name services (``config SERVICE...``) are written
here, in :data:`INLINE`, as the runner has no place for them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from compose.loader.load import LoadOptions, load_project
from runtime.api import PyComposeError
from tests.oracle import oracle_binary

CASES = sorted((Path(__file__).resolve().parents[1] / "conformance" / "cases").glob("loader-*"))


def _config(case: Path) -> dict[str, Any]:
    path = case / "case.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _global_flags(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-f", "--file", dest="files", action="append", default=[])
    parser.add_argument("-p", "--project-name")
    parser.add_argument("--project-directory")
    parser.add_argument("--env-file", dest="env_files", action="append", default=[])
    parser.add_argument("--profile", dest="profiles", action="append", default=[])
    return parser.parse_args(args)


def _environment(config: dict[str, Any]) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root", **config.get("env", {})}


def _ours(case: Path, config: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    flags = _global_flags(config.get("args", []))
    options = LoadOptions(
        files=tuple(flags.files),
        project_name=flags.project_name,
        project_directory=flags.project_directory,
        env_files=tuple(flags.env_files),
        profiles=tuple(flags.profiles),
        environ=_environment(config),
        cwd=str(case / config.get("cwd", ".")),
        stdin=config.get("stdin"),
        resolve_paths="--no-path-resolution" not in config.get("config_args", []),
    )
    try:
        project = load_project(options, services=tuple(config.get("services", [])))
    except PyComposeError as exc:
        return None, exc.render()
    # `docker compose config` prints every `$` of the interpolated model doubled
    return json.loads(json.dumps(project.data).replace("$", "$$")), None


def _compare(case: Path, config: dict[str, Any]) -> None:
    binary = oracle_binary()
    if binary is None:
        pytest.skip("Docker Compose (the oracle) is not installed: python tests/oracle.py")
    result = subprocess.run(
        [str(binary), *config.get("args", []), "config", "--format", "json", *config.get("config_args", []),
         *config.get("services", [])],
        cwd=case / config.get("cwd", "."),
        env=_environment(config),
        input=config.get("stdin", ""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    ours, error = _ours(case, config)
    if result.returncode != 0:
        assert error is not None, f"Docker Compose refuses this case ({result.stderr.strip()}), we accept it"
        return
    assert error is None, f"Docker Compose accepts this case, we refuse it: {error}"
    assert ours == json.loads(result.stdout)


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_docker_compose(case: Path) -> None:
    config = _config(case)
    if set(config.get("config_args", [])) - {"--no-path-resolution"}:
        pytest.skip("the config command shapes this output; the conformance runner checks it")
    _compare(case, config)


SELECTION = """
services:
  web:
    image: nginx
    depends_on: [api]
    networks: [front]
  api:
    image: api
    depends_on:
      db:
        condition: service_started
        required: false
  db:
    image: postgres
    profiles: [db]
    volumes: [data:/data]
  tool:
    image: busybox
    profiles: [tools]
    depends_on: [web]
  other:
    image: x
networks:
  front: {}
volumes:
  data: {}
"""

# name -> (files, case.json-like settings)
INLINE: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "stdin": ({}, {"args": ["-f", "-"], "stdin": "services:\n  web:\n    image: 'nginx:${TAG:-x}'\n    build: ./c\n"}),
    "stdin-after-a-file": ({"base.yaml": "services:\n  web:\n    image: nginx\n"},
                           {"args": ["-f", "base.yaml", "-f", "-"], "stdin": "services:\n  web:\n    command: [a]\n"}),
    "select-web": ({"compose.yaml": SELECTION}, {"services": ["web"]}),
    "select-inactive-db": ({"compose.yaml": SELECTION}, {"services": ["db"]}),
    "select-tool-and-its-chain": ({"compose.yaml": SELECTION}, {"services": ["tool"]}),
    "select-two": ({"compose.yaml": SELECTION}, {"services": ["api", "other"]}),
    "select-unknown": ({"compose.yaml": SELECTION}, {"services": ["nosuch"]}),
    "select-with-profile-flag": ({"compose.yaml": SELECTION}, {"args": ["--profile", "db"], "services": ["web"]}),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(INLINE))
def test_inline_case_matches_docker_compose(name: str) -> None:
    files, config = INLINE[name]
    with tempfile.TemporaryDirectory(prefix=f"loader-{name}-") as tmp:
        for file, text in files.items():
            (Path(tmp) / file).write_text(text)
        _compare(Path(tmp), config)


def test_every_case_has_a_compose_file_or_names_one() -> None:
    assert len(CASES) >= 60
    for case in CASES:
        config = _config(case)
        assert set(config) <= {"args", "env", "cwd", "config_args"}, case.name
        assert set(config.get("config_args", [])) <= {"--no-path-resolution", "--no-interpolate"}, case.name
        has_default = any((case / n).exists() for n in ("compose.yaml", "docker-compose.yml"))
        names_one = "-f" in config.get("args", []) or "COMPOSE_FILE" in config.get("env", {})
        from_dotenv = (case / ".env").exists() and "COMPOSE_FILE" in (case / ".env").read_text()
        assert has_default or names_one or from_dotenv or "cwd" in config, case.name
