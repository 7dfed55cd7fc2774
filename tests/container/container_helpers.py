"""Helpers the container tests share: the CLI as a user runs it, and polling with a bound."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """Run ``pycompose`` as a user would (same environment: the test's state root)."""
    return subprocess.run([sys.executable, "-m", "compose", *args], input=input, capture_output=True,
                          timeout=timeout, cwd=REPO, check=False)


def wait_for(predicate, what: str, deadline: float = 30.0):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a true value (a generous bound, not a timing assertion)."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def inspect(name: str) -> dict[str, Any]:
    result = cli("container", "inspect", name)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]


def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``pycompose container run --rm busybox ...``"""
    return cli("container", "run", "--rm", *args, input=input)
