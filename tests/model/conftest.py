"""One run of the Docker Compose oracle per input, shared by the model's corpus tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.oracle import oracle_binary

OracleRun = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def oracle_run() -> OracleRun:
    """``oracle_run(cwd, args, env)`` -> the finished oracle process (cached per input)."""
    binary = oracle_binary()
    cache: dict[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], subprocess.CompletedProcess[str]] = {}

    def run(cwd: Path, args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        if binary is None:
            pytest.skip("Docker Compose oracle not installed (python tests/oracle.py)")
        key = (str(cwd), tuple(args), tuple(sorted((env or {}).items())))
        if key not in cache:
            environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root"), **(env or {})}
            cache[key] = subprocess.run([str(binary), *args], cwd=cwd, env=environ, capture_output=True,
                                        text=True, check=False)
        return cache[key]

    return run
