"""The project's seccomp profile has the effect of Docker's default, and profiles load for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from container_helpers import REPO, run

from runtime.linux import capabilities, seccomp

REFERENCE = REPO.parent / "shared" / "reference" / "seccomp-default.json"
CAP_SETS = {
    "docker default": capabilities.DOCKER_DEFAULT,
    "no capabilities": (),
    "default + SYS_ADMIN": (*capabilities.DOCKER_DEFAULT, "CAP_SYS_ADMIN"),
    "default + SYS_PTRACE + SYS_TIME": (*capabilities.DOCKER_DEFAULT, "CAP_SYS_PTRACE", "CAP_SYS_TIME"),
    "all": capabilities.CAPABILITIES,
}


def effect(flt: seccomp.Filter) -> tuple:
    return (flt.default_action, flt.default_errno, tuple(sorted(flt.arches)), tuple(sorted(set(flt.rules),
                                                                                          key=repr)))


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference is not present")
@pytest.mark.parametrize("arch", ["amd64", "arm64", "s390x"])
@pytest.mark.parametrize("caps", list(CAP_SETS), ids=list(CAP_SETS))
def test_profile_has_the_effect_of_dockers(arch, caps):
    ours = seccomp.load_profile(seccomp.DEFAULT_PROFILE)
    reference = json.loads(REFERENCE.read_text())
    kernel = lambda v: True  # noqa: E731 - every minKernel condition met, so all rules are compared
    assert effect(seccomp.compile_rules(ours, CAP_SETS[caps], arch, kernel)) == \
        effect(seccomp.compile_rules(reference, CAP_SETS[caps], arch, kernel))


def test_default_profile_rules():
    flt = seccomp.compile_rules(seccomp.load_profile(), capabilities.DOCKER_DEFAULT, "amd64")
    allowed = {r.syscall for r in flt.rules if r.action == "SCMP_ACT_ALLOW" and not r.args}
    assert {"read", "write", "execve", "ptrace"} <= allowed  # ptrace: allowed on kernels >= 4.8, as Docker does
    assert not {"mount", "unshare", "reboot", "init_module", "setns", "bpf"} & allowed
    assert flt.default_action == "SCMP_ACT_ERRNO" and flt.default_errno == 1
    clone3 = [r for r in flt.rules if r.syscall == "clone3"]
    assert clone3 == [seccomp.Rule("clone3", "SCMP_ACT_ERRNO", 38)]  # ENOSYS so libc falls back to clone
    with_admin = seccomp.compile_rules(seccomp.load_profile(), (*capabilities.DOCKER_DEFAULT, "CAP_SYS_ADMIN"),
                                       "amd64")
    assert "mount" in {r.syscall for r in with_admin.rules}


def test_bad_profiles_are_reported(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(seccomp.RuntimeFailure, match="seccomp profile"):
        seccomp.load_profile(bad)
    bad.write_text("{}")
    with pytest.raises(seccomp.RuntimeFailure, match="no defaultAction"):
        seccomp.load_profile(bad)


@pytest.mark.integration
def test_custom_profile_in_dockers_format_is_applied(containers, busybox, tmp_path: Path):
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
    path = tmp_path / "no-mkdir.json"
    path.write_text(json.dumps(profile))
    result = run("--security-opt", f"seccomp={path}", "busybox", "sh", "-c", "mkdir /tmp/d; echo rc=$?")
    assert b"rc=1" in result.stdout
    assert b"Permission denied" in result.stderr  # errno 13 from the filter
    assert b"rc=0" in run("busybox", "sh", "-c", "mkdir /tmp/d; echo rc=$?").stdout
