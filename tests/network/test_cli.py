"""``pycompose network ...`` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.network.conftest import our_links

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compose", "network", *args], capture_output=True, text=True,
                          cwd=REPO, env=os.environ.copy(), input=stdin, timeout=120, check=False)


def test_create_ls_inspect_rm_prune(net_env):
    made = cli("create", "--subnet", "172.30.77.0/24", "--gateway", "172.30.77.254", "--ip-range",
               "172.30.77.128/25", "--aux-address", "router=172.30.77.10", "--label", "team=net",
               "-o", "com.docker.network.driver.mtu=1400", "--internal", "outside")
    assert made.returncode == 0, made.stderr
    net_id = made.stdout.strip()
    assert len(net_id) == 64
    again = cli("create", "outside")
    assert again.returncode == 1 and "network with name outside already exists" in again.stderr
    assert "Traceback" not in again.stderr
    listed = cli("ls")
    assert listed.stdout.splitlines()[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert f"{net_id[:12]}   outside" in listed.stdout
    assert cli("ls", "-q", "--filter", "label=team=net").stdout.split() == [net_id[:12]]
    assert cli("ls", "-q", "--filter", "label=team=other").stdout.split() == []
    (info,) = json.loads(cli("inspect", "outside").stdout)
    assert info["IPAM"]["Config"] == [{"Subnet": "172.30.77.0/24", "Gateway": "172.30.77.254",
                                       "IPRange": "172.30.77.128/25",
                                       "AuxiliaryAddresses": {"router": "172.30.77.10"}}]
    assert info["Internal"] is True and info["Options"]["com.docker.network.driver.mtu"] == "1400"
    missing = cli("inspect", "nope")
    assert missing.returncode == 1 and "network nope not found" in missing.stderr
    assert cli("create", "other").returncode == 0
    pruned = cli("prune", "-f", "--filter", "label=team=net")
    assert pruned.stdout.split() == ["Deleted", "Networks:", "outside"]
    removed = cli("rm", "other", "ghost")
    assert removed.stdout.split() == ["other"] and "network ghost not found" in removed.stderr
    assert removed.returncode == 1
    assert cli("ls", "-q").stdout == ""
    assert info["Bridge"] not in our_links()  # the CLI ran in another process: look at the host


def test_bad_create_arguments(net_env):
    bad = cli("create", "--subnet", "10.0.0.0/8", "clash")
    assert bad.returncode == 1 and "resolver" in bad.stderr
    bad = cli("create", "--gateway", "172.30.9.1", "nosubnet")
    assert bad.returncode == 1 and "--subnet" in bad.stderr
    bad = cli("create", "-d", "overlay", "x")
    assert bad.returncode == 1 and "not supported" in bad.stderr
