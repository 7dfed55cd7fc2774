"""pycompose's ``config --format json`` against Docker Compose's, case by case.

Each case is one test: both programs must accept or both reject it, and when both
accept, the JSON models must be equal (keys sorted). The cases are the directories
under ``cases/`` and, when the reference corpus is present, every compose file of
``../shared/reference/compose-fixtures``. ``known_differences.json`` lists the
deliberate differences, each with its reason.

``test_transforms`` runs the single-file ``norm-*`` cases through the loader's
``canonical`` and ``normalize`` directly (no interpolation, merge or validation), so
that they are checked even without the ``config`` command.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conformance import harness
from tests.oracle import oracle_binary

ORACLE = oracle_binary()
KNOWN = harness.known_differences()
ALL_CASES = harness.own_cases() + harness.fixture_cases()
NORM_CASES = [c for c in harness.own_cases() if c.id.startswith("norm-")]
DIRECT_CASES = [c for c in NORM_CASES if harness.runs_direct(c)]

needs_oracle = pytest.mark.skipif(ORACLE is None, reason="Docker Compose (the oracle) is not installed")


def _config_command_present() -> bool:
    return (harness.REPO / "compose" / "cli" / "commands" / "config.py").exists()


def _check(kind: str, case: harness.Case, ours: harness.Outcome, results: Counter[str]) -> None:
    assert ORACLE is not None
    theirs = harness.run_oracle(ORACLE, case)
    difference = harness.describe(ours, theirs)
    results[f"{kind}:total"] += 1
    if not difference:
        results[f"{kind}:match"] += 1
        if case.id in KNOWN:
            pytest.fail(f"{case.id} is listed in known_differences.json but now matches")
        return
    if case.id in KNOWN:
        pytest.xfail(KNOWN[case.id])
    pytest.fail(difference)


@pytest.mark.oracle
@needs_oracle
@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_config(case: harness.Case, conformance_results: Counter[str]) -> None:
    if not _config_command_present():
        pytest.skip("the config command is not there yet")
    _check("config", case, harness.run_pycompose(case), conformance_results)


@pytest.mark.oracle
@needs_oracle
@pytest.mark.parametrize("case", DIRECT_CASES, ids=lambda c: c.id)
def test_transforms(case: harness.Case, conformance_results: Counter[str]) -> None:
    _check("transforms", case, harness.run_transforms(case), conformance_results)


def test_cases_are_there() -> None:
    assert len(NORM_CASES) >= 60
    assert all(c.compose_file is not None for c in NORM_CASES)
