"""/sys/fs/cgroup inside a container: its own cgroup, read-only, with its limits (as Docker)."""

from __future__ import annotations

import pytest
from container_helpers import run

from runtime.linux import cgroups

pytestmark = pytest.mark.integration

LIMITS_V1 = ("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
             "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us")
LIMITS_V2 = "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max"


def test_a_container_sees_its_own_limits(containers, busybox) -> None:
    result = run("--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "busybox", "sh", "-c",
                 LIMITS_V2 if cgroups.unified_mode() else LIMITS_V1)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [b"67108864", b"50", b"50000", b"100000"]  # v2's cpu.max: quota period


def test_the_cgroup_view_is_read_only_and_rooted_at_the_container(containers, busybox) -> None:
    target = "/sys/fs/cgroup/pids.max" if cgroups.unified_mode() else "/sys/fs/cgroup/pids/pids.max"
    result = run("--pids-limit", "50", "busybox", "sh", "-c",
                 f"echo 1 > {target}; echo rc=$?; mkdir /sys/fs/cgroup/x; echo mk=$?; cat /proc/self/cgroup")
    assert b"rc=1" in result.stdout and b"mk=1" in result.stdout
    assert b"Read-only file system" in result.stderr
    # inside its own cgroup namespace every hierarchy's root is the container's cgroup
    paths = {line.split(b":", 2)[2] for line in result.stdout.splitlines() if line.count(b":") >= 2}
    assert paths == {b"/"}


def test_cgroupns_host_shows_the_hosts_hierarchy(containers, busybox, cgroup_parent: str) -> None:
    result = run("--cgroupns", "host", "busybox", "sh", "-c", "cat /proc/self/cgroup")
    assert result.returncode == 0, result.stderr
    assert cgroup_parent.encode() in result.stdout  # the real path, parent included
