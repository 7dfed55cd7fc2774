"""The conformance harness itself: case discovery, comparison and naming."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conformance import harness


def test_project_name_follows_docker_compose() -> None:
    assert harness.project_name(Path("/x/My_App.v2")) == "my_appv2"
    assert harness.project_name(Path("/x/--Lead")) == "lead"


def test_same_models_agree() -> None:
    a = harness.Outcome(True, model={"b": 1, "a": [1.0]})
    b = harness.Outcome(True, model={"a": [1], "b": 1})
    assert harness.describe(a, b) == ""


def test_different_models_show_a_diff() -> None:
    text = harness.describe(harness.Outcome(True, model={"a": 1}), harness.Outcome(True, model={"a": 2}))
    assert text.startswith("--- docker-compose")
    assert '- "a": 2' in text.splitlines()
    assert '+ "a": 1' in text.splitlines()


def test_accept_and_reject_disagree() -> None:
    ours, theirs = harness.Outcome(False, error="boom"), harness.Outcome(True, model={})
    assert "pycompose rejects: boom" in harness.describe(ours, theirs)
    assert "pycompose accepts" in harness.describe(theirs, harness.Outcome(False, error="no"))
    assert harness.describe(ours, harness.Outcome(False, error="other words")) == ""


def test_own_cases_read_case_json() -> None:
    cases = {c.id: c for c in harness.own_cases()}
    case = cases["norm-merge-ports"]
    assert case.args == ("-f", "compose.yaml", "-f", "override.yaml")
    assert case.pipeline_only and not harness.runs_direct(case)
    assert cases["norm-no-interpolate"].config_args == ("--no-interpolate",)
    assert harness.runs_direct(cases["norm-no-interpolate"])
    assert cases["norm-secrets-environment"].env == {"SOME_SECRET": "shh"}


def test_environment_is_minimal() -> None:
    case = harness.Case(id="x", cwd=Path("."), env={"A": "1"})
    assert set(harness.environment(case)) == {"HOME", "PATH", "A"}


def test_known_differences_name_existing_cases_with_reasons() -> None:
    entries = json.loads(harness.KNOWN_DIFFERENCES.read_text())
    ids = {c.id for c in harness.own_cases() + harness.fixture_cases()}
    for entry in entries:
        assert entry["reason"]
        assert entry["case"] in ids or not harness.FIXTURES.is_dir()


def test_transforms_run_reports_errors_as_rejections(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: x\n    ports: ['1:2:3:4']\n")
    outcome = harness.run_transforms(harness.Case(id="t", cwd=tmp_path))
    assert not outcome.ok
    assert "invalid port" in outcome.error
