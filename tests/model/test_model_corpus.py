"""Every canonical project we can get converts to the model and back unchanged.

Canonical data comes from Docker Compose itself (the oracle binary), run on the
shared fixture corpus and on the conformance cases; a stored kitchen-sink project
(``data/sink.json``, the oracle's output for ``data/sink/compose.yaml``) covers
every service key without needing the oracle.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from compose.model import project_from_dict, project_to_dict

HERE = Path(__file__).parent
REPO = HERE.parent.parent
FIXTURES = REPO.parent / "shared" / "reference" / "compose-fixtures"
CASES = REPO / "tests" / "conformance" / "cases"


def _fixture_files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml"))


def _case_dirs() -> list[Path]:
    return sorted(p for p in CASES.glob("*") if p.is_dir()) if CASES.is_dir() else []


def _oracle_json(oracle_run: Any, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Any | None:
    """The oracle's canonical JSON, or None when it refuses the input."""
    proc = oracle_run(cwd, [*args, "config", "--format", "json"], env)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def _round_trips(data: dict[str, Any]) -> None:
    project = project_from_dict(data)
    hash(project)
    assert project_to_dict(project) == data


def test_kitchen_sink_round_trips() -> None:
    data = json.loads((HERE / "data" / "sink.json").read_text())
    _round_trips(data)
    web = project_from_dict(data).services["web"]
    assert web.deploy is not None and web.deploy.resources.limits is not None
    assert web.deploy.resources.limits.memory == 1 << 30
    assert web.blkio_config is not None and web.blkio_config.device_read_bps[0].rate == 12 << 20
    assert web.stop_grace_period == 90.0
    assert web.extensions == {}  # Docker Compose's JSON drops service x- keys


def test_kitchen_sink_is_what_the_oracle_prints(tmp_path: Path, oracle_run: Any) -> None:
    # The stored JSON must stay the oracle's output, or the round trip above proves little.
    # It was produced in /tmp/ks; absolute paths inside it say so.
    work = tmp_path / "ks"
    shutil.copytree(HERE / "data" / "sink", work)
    fresh = _oracle_json(oracle_run, ["--profile", "p1"], work)
    stored = json.loads((HERE / "data" / "sink.json").read_text().replace("/tmp/ks", str(work)))
    assert fresh == stored


@pytest.mark.oracle
@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_shared_fixture_converts(path: Path, oracle_run: Any) -> None:
    data = _oracle_json(oracle_run, ["-f", path.name], path.parent)
    if data is None:
        pytest.skip("Docker Compose refuses this fixture")
    _round_trips(data)


@pytest.mark.oracle
@pytest.mark.parametrize("case", _case_dirs(), ids=lambda p: p.name)
def test_conformance_case_converts(case: Path, oracle_run: Any) -> None:
    spec = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    cwd = case / spec.get("cwd", ".")
    data = _oracle_json(oracle_run, list(spec.get("args", [])), cwd, spec.get("env"))
    if data is None:
        pytest.skip("Docker Compose refuses this case")
    _round_trips(data)


def _loaded(cwd: Path, args: list[str], env: dict[str, str]) -> dict[str, Any] | None:
    """Our own loader's canonical data for a case (None when it refuses the input)."""
    from compose.cli.main import build_parser
    from compose.errors import PyComposeError
    from compose.loader.load import LoadOptions, load_project

    ns = build_parser().parse_args(args)
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root"), **env}
    options = LoadOptions(files=tuple(ns.files), project_name=ns.project_name,
                          project_directory=ns.project_directory, env_files=tuple(ns.env_files),
                          profiles=tuple(ns.profiles), environ=environ, cwd=str(cwd))
    try:
        return load_project(options).data
    except PyComposeError:
        return None


@pytest.mark.parametrize("case", _case_dirs(), ids=lambda p: p.name)
def test_conformance_case_loaded_by_us_converts(case: Path) -> None:
    spec = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    data = _loaded(case / spec.get("cwd", "."), list(spec.get("args", [])), spec.get("env", {}))
    if data is None:
        pytest.skip("refused by the loader (an error case)")
    _round_trips(data)


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_shared_fixture_loaded_by_us_converts(path: Path) -> None:
    data = _loaded(path.parent, ["-f", path.name], {})
    if data is None:
        pytest.skip("refused by the loader (an error case)")
    _round_trips(data)
