"""Counts conformance results and prints the match count at the end of the run."""

from __future__ import annotations

from collections import Counter

import pytest

RESULTS: Counter[str] = Counter()


@pytest.fixture
def conformance_results() -> Counter[str]:
    return RESULTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for kind in sorted({k.split(":")[0] for k in RESULTS}):
        matched, total = RESULTS[f"{kind}:match"], RESULTS[f"{kind}:total"]
        if total:
            terminalreporter.write_line(f"conformance ({kind}): {matched}/{total} cases match Docker Compose")
