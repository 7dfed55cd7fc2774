"""Namespace sharing, the network hook, start/restart of stopped containers, and the Debian image."""

from __future__ import annotations

import os
import subprocess

import pytest
from container_helpers import cli, inspect

pytestmark = pytest.mark.integration


def detached(*args: str) -> str:
    result = cli("container", "run", "-d", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().strip()


def test_sharing_another_containers_namespaces(containers, busybox):
    detached("--name", "base", "--hostname", "basehost", "busybox", "sleep", "60")
    result = cli("container", "run", "--rm", "--pid", "container:base", "--ipc", "container:base",
                 "--network", "container:base", "busybox", "sh", "-c", "ps -o comm; true")
    assert result.returncode == 0
    assert "sleep" in result.stdout.decode().split()  # it sees the other container's processes
    base_pid = inspect("base")["State"]["Pid"]
    for ns in ("net", "ipc"):
        assert os.readlink(f"/proc/{base_pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")
    refused = cli("container", "run", "--rm", "--pid", "container:nothere", "busybox", "true")
    assert refused.returncode != 0 and b"No such container" in refused.stderr
    assert cli("container", "rm", "-f", "base").returncode == 0


def test_network_hook_runs_before_the_process(containers, busybox, image_store):
    from runtime.api.containers import ContainerSpec, ImageProcess, Overrides

    cid = containers.new_id()
    rootfs = image_store.prepare_rootfs(busybox.id, cid)
    proc = containers.build_process(rootfs, ImageProcess(cmd=("sh",)),
                                    Overrides(command=("sh", "-c", "ip -o link show; ip -o addr show lo")))
    containers.create(ContainerSpec(process=proc), rootfs=rootfs, cid=cid, name="hooked", image_id=busybox.id,
                      rootfs_managed=True)
    seen = []

    def setup(netns_path):
        seen.append(netns_path)
        subprocess.run(["nsenter", f"--net={netns_path}", "ip", "addr", "add", "10.99.0.1/32", "dev", "lo"],
                       check=True)

    containers.start("hooked", network_setup=setup)
    assert containers.wait("hooked") == 0
    out = "".join(e.text for e in containers.logs("hooked"))
    assert seen and str(seen[0]).endswith(cid)
    assert "10.99.0.1" in out  # configured by the hook, seen by the process
    assert "lo:" in out and "UP" in out.split("lo:")[1].splitlines()[0]
    assert len([line for line in out.splitlines() if "link/" in line]) == 1  # only lo
    containers.remove("hooked")


def test_start_and_restart_a_stopped_container(containers, busybox):
    cid = detached("--name", "again", "busybox", "sh", "-c", "echo run; sleep 60")
    assert cli("container", "stop", "-t", "0", "again").returncode == 0
    assert cli("container", "start", "again").returncode == 0
    assert inspect("again")["State"]["Status"] == "running"
    first_pid = inspect("again")["State"]["Pid"]
    assert cli("container", "restart", "-t", "0", "again").returncode == 0
    assert inspect("again")["State"]["Pid"] != first_pid
    logs = cli("container", "logs", "again").stdout.decode().split()
    assert logs == ["run", "run", "run"]
    assert cli("container", "rm", "-f", cid[:12]).returncode == 0  # an id prefix works too


def test_create_then_start_and_name_conflict(containers, busybox):
    created = cli("container", "create", "--name", "later", "busybox", "true")
    assert created.returncode == 0
    assert inspect("later")["State"]["Status"] == "created"
    clash = cli("container", "create", "--name", "later", "busybox", "true")
    assert clash.returncode == 1 and b"already in use" in clash.stderr
    assert cli("container", "start", "later").returncode == 0
    assert cli("container", "wait", "later").stdout.strip() == b"0"
    assert cli("container", "rm", "later").returncode == 0


def test_debian_image_users_groups_and_processes(containers, debian):
    result = cli("container", "run", "--rm", "-u", "daemon", "--group-add", "audio", "debian:test", "sh", "-c",
                 "id; ps -e -o pid=,comm=; python3 -c 'import os; print(os.getpid())'")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("uid=1(daemon) gid=1(daemon) groups=1(daemon),29(audio)")
    pids = [line.split() for line in lines[1:-1]]
    assert ["1", "sh"] in pids and all(int(p) < 100 for p, _ in pids)
    assert lines[-1].isdigit()
    ro = cli("container", "run", "--rm", "--read-only", "debian:test", "sh", "-c", "echo x > /etc/x")
    assert ro.returncode != 0 and b"Read-only file system" in ro.stderr


def test_list_by_label_and_restart_after_rootfs_unmount(containers, busybox, image_store):
    detached("--name", "lab", "-l", "com.example.app=web", "busybox", "sleep", "60")
    detached("--name", "other", "busybox", "sleep", "60")
    names = [i.record.name for i in containers.list(labels={"com.example.app": "web"})]
    assert names == ["lab"]
    assert [i.record.name for i in containers.list(labels={"com.example.app": ""})] == ["lab"]
    assert cli("container", "stop", "-t", "0", "lab").returncode == 0
    cid = inspect("lab")["Id"]
    image_store.unmount_rootfs(cid)  # as after a reboot: the upper dir is kept, the mount is gone
    assert cli("container", "start", "lab").returncode == 0
    assert cli("container", "exec", "lab", "true").returncode == 0
    assert cli("container", "rm", "-f", "lab", "other").returncode == 0
    assert not list(containers.state.locks.glob("container-*.lock"))


def test_parallel_starts_from_threads(containers, busybox, image_store):
    """compose starts replicas from worker threads: the facade and the server must cope."""
    from concurrent.futures import ThreadPoolExecutor

    from runtime.api.containers import ContainerSpec, ImageProcess, Overrides

    def one(i: int) -> int:
        cid = containers.new_id()
        rootfs = image_store.prepare_rootfs(busybox.id, cid)
        proc = containers.build_process(rootfs, ImageProcess(cmd=("sh",)),
                                        Overrides(command=("sh", "-c", f"exit {i}")))
        containers.create(ContainerSpec(process=proc), rootfs=rootfs, cid=cid, name=f"par{i}", image_id=busybox.id,
                          rootfs_managed=True)
        containers.start(cid)
        return containers.wait(cid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(12)))
    assert codes == list(range(12))
    for i in range(12):
        containers.remove(f"par{i}")
    # exec from several threads at once (each fork must not keep the others' pipes open)
    detached("--name", "target", "busybox", "sleep", "60")
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: containers.exec("target", ("sh", "-c", f"sleep 0.{i % 3}; exit {i}"),
                                                              stdio=(devnull, devnull, devnull)), range(16)))
    finally:
        os.close(devnull)
    assert results == list(range(16))
    containers.remove("target", force=True)
