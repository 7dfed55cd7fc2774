"""Running one conformance case through pycompose and through Docker Compose.

A case is a directory holding compose files and, optionally, ``case.json``:
``{"args": [...], "config_args": [...], "env": {...}, "cwd": "sub", "pipeline_only": true}``.
``args`` are global options placed before ``config`` (default: none, so the file is
found by discovery); ``config_args`` are options of ``config`` itself (after
``--format json``); ``env`` is added to a minimal environment (HOME, PATH); ``cwd`` is where
both programs run; ``pipeline_only`` marks a case that needs the whole loader
(interpolation, several files, extends, include, profiles), so that it is not run
through the transforms alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = HERE / "cases"
FIXTURES = REPO.parent / "shared" / "reference" / "compose-fixtures"
KNOWN_DIFFERENCES = HERE / "known_differences.json"


@dataclass(frozen=True)
class Case:
    """One input: where it runs, with which arguments and environment."""

    id: str
    cwd: Path
    args: tuple[str, ...] = ()
    config_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    pipeline_only: bool = False

    @property
    def compose_file(self) -> Path | None:
        for name in ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"):
            if (self.cwd / name).exists():
                return self.cwd / name
        return None


@dataclass(frozen=True)
class Outcome:
    """What one program made of a case: the JSON model, or the error text."""

    ok: bool
    model: Any = None
    error: str = ""


def own_cases() -> list[Case]:
    out = []
    for directory in sorted(p for p in CASES.iterdir() if p.is_dir()):
        spec: dict[str, Any] = {}
        if (directory / "case.json").exists():
            spec = json.loads((directory / "case.json").read_text())
        out.append(Case(
            id=directory.name,
            cwd=directory / spec.get("cwd", "."),
            args=tuple(spec.get("args", ())),
            config_args=tuple(spec.get("config_args", ())),
            env=dict(spec.get("env", {})),
            pipeline_only=bool(spec.get("pipeline_only", False)),
        ))
    return out


def fixture_cases() -> list[Case]:
    """Every compose file of the reference corpus, each given with ``-f``."""
    if not FIXTURES.is_dir():
        return []
    files = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [Case(id="fixture:" + str(p.relative_to(FIXTURES)), cwd=p.parent, args=("-f", p.name)) for p in files]


def known_differences() -> dict[str, str]:
    if not KNOWN_DIFFERENCES.exists():
        return {}
    return {entry["case"]: entry["reason"] for entry in json.loads(KNOWN_DIFFERENCES.read_text())}


def environment(case: Case) -> dict[str, str]:
    env = {"HOME": os.environ.get("HOME", "/root"), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(case.env)
    return env


def _outcome(proc: subprocess.CompletedProcess[str]) -> Outcome:
    if proc.returncode != 0:
        return Outcome(False, error=proc.stderr.strip() or proc.stdout.strip())
    try:
        return Outcome(True, model=json.loads(proc.stdout))
    except json.JSONDecodeError as exc:
        return Outcome(False, error=f"output is not JSON: {exc}")


def run_oracle(binary: Path, case: Case) -> Outcome:
    proc = subprocess.run([str(binary), *case.args, "config", "--format", "json", *case.config_args], cwd=case.cwd,
                          env=environment(case), capture_output=True, text=True, timeout=60)
    return _outcome(proc)


def run_pycompose(case: Case) -> Outcome:
    env = environment(case)
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "compose", *case.args, "config", "--format", "json", *case.config_args]
    proc = subprocess.run(command, cwd=case.cwd, env=env, capture_output=True, text=True, timeout=60)
    return _outcome(proc)


def project_name(directory: Path) -> str:
    """Docker Compose's default project name: the directory's name, lowercased, with
    only ``a-z 0-9 _ -`` kept and no leading ``_``/``-``."""
    return "".join(re.findall(r"[a-z0-9_-]", directory.name.lower())).lstrip("_-")


DIRECT_CONFIG_ARGS = frozenset({"--no-interpolate", "--no-path-resolution"})


def runs_direct(case: Case) -> bool:
    """Whether ``run_transforms`` can stand for the whole loader on this case."""
    return not case.pipeline_only and not case.args and set(case.config_args) <= DIRECT_CONFIG_ARGS


def run_transforms(case: Case) -> Outcome:
    """The case's single compose file through ``canonical`` then ``normalize`` only (no
    interpolation, merge or schema validation): for cases that need none of those."""
    from compose.errors import ConfigError
    from compose.loader.normalize import config_json, normalize
    from compose.loader.transform import canonical
    from compose.loader.yamlsource import parse_document

    file = case.compose_file
    assert file is not None, f"{case.id}: no compose file"
    env = environment(case)
    interpolated = "--no-interpolate" not in case.config_args
    try:
        doc = parse_document(file.read_text(), str(file))
        data = canonical(doc.data, source=doc.source, lenient=not interpolated)
        model = normalize(data, working_dir=str(case.cwd), environ=env, project_name=project_name(case.cwd),
                          resolve_paths="--no-path-resolution" not in case.config_args, typed=interpolated)
    except ConfigError as exc:
        return Outcome(False, error=exc.render())
    return Outcome(True, model=json.loads(json.dumps(config_json(model, interpolated=interpolated))))


def _numbers_as_go_prints(value: Any) -> Any:
    """Integral floats as integers: Go's JSON prints ``1.0`` as ``1``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers_as_go_prints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_go_prints(v) for v in value]
    return value


def describe(ours: Outcome, theirs: Outcome) -> str:
    """A readable account of how two outcomes differ ('' when they agree)."""
    if ours.ok != theirs.ok:
        if theirs.ok:
            return f"Docker Compose accepts, pycompose rejects: {ours.error}"
        return f"Docker Compose rejects ({theirs.error}), pycompose accepts"
    if not ours.ok:
        return ""
    a = json.dumps(_numbers_as_go_prints(theirs.model), indent=1, sort_keys=True).splitlines()
    b = json.dumps(_numbers_as_go_prints(ours.model), indent=1, sort_keys=True).splitlines()
    if a == b:
        return ""
    import difflib

    return "\n".join(difflib.unified_diff(a, b, "docker-compose", "pycompose", lineterm=""))
