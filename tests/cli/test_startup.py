"""``pycompose --help`` and ``version`` stay fast: no heavy library is imported for them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("trio", "pyroute2", "jsonschema")


def _imported(args: list[str]) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "compose", *args],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout  # it printed something: the command really ran
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            modules.add(name.split(".")[0])
    assert "compose" in modules  # the -X importtime report was read correctly
    return modules


@pytest.mark.parametrize("args", [["--help"], ["version"], ["help", "config"]])
def test_no_heavy_imports(args: list[str]) -> None:
    heavy = set(HEAVY) & _imported(args)
    assert not heavy, f"{' '.join(args)} imported {sorted(heavy)}"
