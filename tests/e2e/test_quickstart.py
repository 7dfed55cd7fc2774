"""The main job end to end: ``bash examples/quickstart/run.sh`` brings the quickstart up.

The script runs as a user runs it (on this test's private state root and address pool, on a
free host port); then an HTTP request through the published port must pass through web and
Redis (the counter grows, Redis holds it), the worker must report it, and the Redis
healthcheck must say healthy. Skipped when the Debian base image cannot be made (no
``mmdebstrap`` and no cached tarball).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.container.conftest import _pids_mentioning, stop_server
from tests.network.conftest import net_env  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "quickstart"
CACHE = Path(os.environ.get("QUICKSTART_CACHE", "/var/cache/pycompose"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.read().decode()


@pytest.fixture
def quickstart(net_env):  # noqa: F811
    if not list(CACHE.glob("quickstart-*.tar")) and shutil.which("mmdebstrap") is None:
        pytest.skip("no cached quickstart tarball and no mmdebstrap to make one")
    root, run = net_env
    parent = f"pycompose-test-{secrets.token_hex(4)}"
    env = dict(os.environ, PYCOMPOSE_CGROUP_PARENT=parent, WEB_PORT=str(_free_port()),
               QUICKSTART_CACHE=str(CACHE), NO_COLOR="1")

    def compose(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "compose", "-f", str(EXAMPLE / "compose.yaml"), *args],
                              env=env, capture_output=True, text=True, timeout=180)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    yield env, compose
    from runtime.linux import cgroups
    from runtime.state import StateRoot

    compose("down", "-v", "-t", "1", check=False)
    left = compose("ps", "-a", "-q", check=False).stdout.split()
    stop_server(StateRoot(root, run))
    pids = _pids_mentioning(os.fspath(run))
    for pid in pids:
        os.kill(pid, 9)
    groups = cgroups.leftovers(parent)
    cgroups.remove_parent(parent)
    assert not left, f"down left containers: {left}"
    assert not pids, f"processes left: {pids}"
    assert not groups, f"cgroups left: {groups}"


def test_run_sh_brings_up_web_redis_and_worker(quickstart) -> None:
    env, compose = quickstart
    done = subprocess.run(["bash", str(EXAMPLE / "run.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    port = env["WEB_PORT"]
    assert f"curl http://127.0.0.1:{port}/" in done.stdout
    assert " down" in done.stdout and "logs -f" in done.stdout

    rows = {r["Service"]: r for r in map(json.loads, compose("ps", "--format", "json").stdout.splitlines())}
    assert sorted(rows) == ["redis", "web", "worker"]
    assert all(r["State"] == "running" for r in rows.values())
    assert rows["redis"]["Health"] == "healthy" and rows["web"]["Health"] == "healthy"
    assert rows["web"]["Publishers"][0]["PublishedPort"] == int(port)

    first = _get(f"http://127.0.0.1:{port}/")
    second = _get(f"http://127.0.0.1:{port}/")
    assert "seen 1 times" in first and "seen 2 times" in second, (first, second)
    # the counter lives in Redis, and web's own log shows the requests it served
    assert compose("exec", "-T", "redis", "redis-cli", "GET", "hits").stdout.strip() == "2"
    web_log = compose("logs", "--no-log-prefix", "web").stdout
    assert "web: listening on :8000" in web_log and web_log.count('"GET / HTTP/1.1" 200') == 2
    # the worker reads the same counter over the project network
    deadline = time.monotonic() + 30
    while "hits so far = 2" not in compose("logs", "worker").stdout:
        assert time.monotonic() < deadline, compose("logs", "worker").stdout
        time.sleep(0.5)
    # Redis keeps its data in the named volume
    assert compose("exec", "-T", "redis", "redis-cli", "CONFIG", "GET", "dir").stdout.split()[-1] == "/data"
    assert "quickstart_redis-data" in compose("volume", "ls", "-q").stdout.split()
