"""The isolation and escape probes of ``tests/container``, run in a pycompose container and in a
Docker-default container on the same files, printed as a Markdown table.

    python benchmarks/container/compare_probes.py

Needs root, a running Docker daemon (skipped otherwise) and busybox-static.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

# (what, shell script; exit 0 means "the probe succeeded", i.e. the operation was allowed)
PROBES: tuple[tuple[str, str], ...] = (
    ("is PID 1", "test $$ = 1"),
    ("sees only its own processes", "test $(ps -o pid | wc -l) -le 5"),  # header, sh, $(), ps, wc
    ("only loopback interface", "test \"$(ls /sys/class/net)\" = lo"),
    ("CapEff is Docker's default (a80425fb)", "grep -q 'CapEff:\t00000000a80425fb' /proc/self/status"),
    ("seccomp filter active", "grep -q 'Seccomp:\t2' /proc/self/status"),
    ("/proc/kcore or /proc/keys readable with content", "test -s /proc/keys"),
    ("/sys/firmware listable with content", "test -n \"$(ls /sys/firmware)\""),
    ("mount tmpfs", "mkdir -p /mnt && busybox mount -t tmpfs none /mnt"),
    ("unshare a mount namespace", "busybox unshare -m true"),
    ("reboot(2)", "busybox reboot -f"),
    ("load a kernel module", "echo x > /tmp/x.ko && busybox insmod /tmp/x.ko"),
    ("write /proc/sys", "echo 1 > /proc/sys/kernel/ostype"),
    ("write /proc/sysrq-trigger", "echo h > /proc/sysrq-trigger"),
    ("mknod + open a block device", "busybox mknod /tmp/sda b 8 0 && cat /tmp/sda > /dev/null"),
    ("write /sys", "echo 1 > /sys/kernel/profiling"),
    ("chroot (CAP_SYS_CHROOT is default)", "busybox chroot / true"),
    ("raw socket (CAP_NET_RAW is default)", "busybox ping -c 1 -W 1 127.0.0.1 > /dev/null"),
    ("change the hostname", "busybox hostname probe"),
)


def run_pycompose(script: str, env: dict[str, str]) -> int:
    return subprocess.run([sys.executable, "-m", "compose", "container", "run", "--rm", "probe-busybox:latest",
                           "sh", "-c", script], env=env, capture_output=True, check=False).returncode


def run_docker(script: str) -> int:
    return subprocess.run(["docker", "run", "--rm", "--network", "none", "probe-busybox-flat:latest", "/bin/sh",
                           "-c", script], capture_output=True, check=False).returncode


def main() -> None:
    from helpers import images as test_images

    from runtime.api.images import ImageStore
    from runtime.state import StateRoot

    work = Path(tempfile.mkdtemp(prefix="pycompose-probes-"))
    env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
               PYCOMPOSE_CGROUP_PARENT="pycompose-probes")
    state = StateRoot(work / "root", work / "run").ensure()
    store = ImageStore(state)
    store.load(test_images.write_archive(work / "b.tar", [test_images.busybox_image(tags=["probe-busybox:latest"])]))
    image = store.resolve("probe-busybox:latest")
    docker = shutil.which("docker") is not None and subprocess.run(["docker", "info"], capture_output=True,
                                                                   check=False).returncode == 0
    try:
        if docker:
            mounted = store.prepare_rootfs(image.id, "flat")
            subprocess.run(f"tar -C {mounted} -c . | docker import - probe-busybox-flat:latest", shell=True,
                           capture_output=True, check=True)
            store.release_rootfs("flat")
        print("| probe | pycompose | Docker default |")
        print("|---|---|---|")
        for what, script in PROBES:
            ours = "yes" if run_pycompose(script, env) == 0 else "no"
            theirs = ("yes" if run_docker(script) == 0 else "no") if docker else "(no Docker here)"
            print(f"| {what} | {ours} | {theirs} |")
    finally:
        if docker:
            subprocess.run(["docker", "rmi", "probe-busybox-flat:latest"], capture_output=True, check=False)
        from runtime.supervisor import client

        client.server_request(state, {"op": "shutdown"})
        from runtime.linux import cgroups

        cgroups.remove_parent("pycompose-probes")
        subprocess.run(["umount", "-R", "-l", str(work)], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
