"""compose/prepare.py: which services are pulled or built, per pull_policy and flags (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from compose.errors import ConfigError
from compose.prepare import decide


@dataclass(frozen=True)
class Svc:
    name: str = "web"
    image: str = "busybox"
    pull_policy: str = ""
    build: object = None


BUILD = object()
DAY = 86400.0


@pytest.mark.parametrize("svc, present, kw, expected", [
    (Svc(), False, {}, "pull"),
    (Svc(), True, {}, ""),
    (Svc(pull_policy="missing"), True, {}, ""),
    (Svc(pull_policy="if_not_present"), False, {}, "pull"),
    (Svc(pull_policy="always"), True, {}, "pull"),
    (Svc(pull_policy="refresh"), True, {}, "pull"),
    (Svc(pull_policy="never"), False, {}, ""),
    (Svc(pull_policy="never"), True, {"pull": "always"}, "pull"),
    (Svc(pull_policy="always"), True, {"pull": "never"}, ""),
    (Svc(), True, {"pull": "always"}, "pull"),
    (Svc(pull_policy="build", build=BUILD), True, {}, "build"),
    (Svc(pull_policy="build", build=BUILD), True, {"build": False}, ""),
    (Svc(build=BUILD), False, {}, "build"),
    (Svc(build=BUILD), True, {}, ""),
    (Svc(build=BUILD), True, {"build": True}, "build"),
    (Svc(build=BUILD), False, {"build": False}, "pull"),
    (Svc(pull_policy="daily"), True, {"last_pulled": 1000.0, "now": 1000.0 + DAY - 1}, ""),
    (Svc(pull_policy="daily"), True, {"last_pulled": 1000.0, "now": 1000.0 + DAY}, "pull"),
    (Svc(pull_policy="weekly"), True, {"last_pulled": 1000.0, "now": 1000.0 + 6 * DAY}, ""),
    (Svc(pull_policy="every_2h"), True, {"last_pulled": 0.0, "now": 7201.0}, "pull"),
    (Svc(pull_policy="every_2h"), True, {"last_pulled": 0.0, "now": 7199.0}, ""),
    (Svc(pull_policy="every_2h"), False, {}, "pull"),
])
def test_decide(svc: Svc, present: bool, kw: dict, expected: str):
    assert decide(svc, svc.image, present, **kw) == expected


def test_build_policy_without_build_section():
    with pytest.raises(ConfigError, match="pull_policy build but no build section"):
        decide(Svc(pull_policy="build"), "busybox", True)


def test_nothing_to_pull_loads_no_registry_client() -> None:
    # up with every image present must not pay for httpx and the registry client (~0.1 s)
    import subprocess
    import sys

    code = ("import sys, types; from compose.prepare import pull_images; "
            "session = types.SimpleNamespace(project=types.SimpleNamespace(services={})); "
            "assert pull_images(session, []) == []; "
            "print(sorted(m for m in ('httpx', 'runtime.registry.client') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]"]
