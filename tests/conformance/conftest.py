"""Counts conformance results and prints the match count at the end of the run."""

from __future__ import annotations

from collections import Counter

import pytest

RESULTS = pytest.StashKey[Counter[str]]()


@pytest.fixture
def conformance_results(request: pytest.FixtureRequest) -> Counter[str]:
    return request.config.stash.setdefault(RESULTS, Counter())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, Counter())
    for kind in sorted({k.split(":")[0] for k in results}):
        matched, total = results[f"{kind}:match"], results[f"{kind}:total"]
        if total:
            terminalreporter.write_line(f"conformance ({kind}): {matched}/{total} cases match Docker Compose")
