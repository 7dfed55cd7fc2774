"""The registry client loads httpx and httpcore without trio and click (0.1 s of every registry
command), and leaves both importable for the code that does use them."""

from __future__ import annotations

import subprocess
import sys

from tests.container.container_helpers import REPO

PROBE = """
import sys
from runtime.registry.client import RegistryClient
import httpx
httpx.HTTPTransport()  # httpx imports httpcore only here
print(sorted(name for name in ("trio", "click") if name in sys.modules))
import trio
print(trio.__name__)
"""


def test_a_transport_is_made_without_importing_trio_and_trio_still_imports() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "trio"]
