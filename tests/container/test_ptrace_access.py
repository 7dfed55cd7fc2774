"""``process_vm_readv`` in a default container: the seccomp profile and the kernel's ptrace
access check, as in Docker (see "Security defaults compared with Docker" in
runtime/container/DESIGN.md for why Docker 20.10 differs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from container_helpers import run

PROGRAM = Path(__file__).parent / "programs" / "vm_readv.c"


@pytest.fixture(scope="module")
def vm_readv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed (tests/run.sh installs it)")
    out = tmp_path_factory.mktemp("vm_readv") / "vm_readv"
    subprocess.run(["gcc", "-static", "-O2", "-o", str(out), str(PROGRAM)], check=True, capture_output=True)
    return out


@pytest.mark.integration
def test_reading_a_dumpable_child_is_allowed(containers, busybox, vm_readv: Path):
    # Docker's profile allows process_vm_readv/writev with ptrace on kernels >= 4.8 (moby #42083)
    result = run("-v", f"{vm_readv}:/vm_readv:ro", "busybox", "/vm_readv")
    assert (result.returncode, result.stdout.strip()) == (0, b"read"), result.stderr


@pytest.mark.integration
def test_a_non_dumpable_child_needs_cap_sys_ptrace(containers, busybox, vm_readv: Path):
    denied = run("-v", f"{vm_readv}:/vm_readv:ro", "busybox", "/vm_readv", "nodump")
    assert (denied.returncode, denied.stdout.strip()) == (1, b"EPERM"), denied.stderr
    allowed = run("--cap-add", "SYS_PTRACE", "-v", f"{vm_readv}:/vm_readv:ro", "busybox", "/vm_readv", "nodump")
    assert (allowed.returncode, allowed.stdout.strip()) == (0, b"read"), allowed.stderr


@pytest.mark.integration
def test_a_profile_without_the_rule_denies_it(containers, busybox, vm_readv: Path, tmp_path: Path):
    """Docker 20.10's profile had no such rule: the same program is refused (EPERM) there."""
    import json

    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["process_vm_readv"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    path = tmp_path / "no-vm-readv.json"
    path.write_text(json.dumps(profile))
    result = run("--security-opt", f"seccomp={path}", "-v", f"{vm_readv}:/vm_readv:ro", "busybox", "/vm_readv")
    assert (result.returncode, result.stdout.strip()) == (1, b"EPERM"), result.stderr
