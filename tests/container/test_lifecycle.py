"""Lifecycle and supervision: resources, logs, stop/kill, pause, restart policies, healthchecks,
stdin, and recovery after the supervisor is killed."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from container_helpers import cli, inspect, wait_for

from runtime.supervisor.shim import init_binary

pytestmark = pytest.mark.integration


def detached(*args: str) -> str:
    result = cli("container", "run", "-d", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().strip()


def status(name: str) -> str:
    return inspect(name)["State"]["Status"]


def test_memory_hog_is_oom_killed_and_reported(containers, busybox):
    result = cli("container", "run", "--name", "hog", "-m", "32m", "busybox", "busybox", "tail", "/dev/zero")
    assert result.returncode == 137
    state = inspect("hog")["State"]
    assert state["OOMKilled"] is True
    assert state["ExitCode"] == 137
    assert cli("container", "rm", "hog").returncode == 0


def test_fork_bomb_stops_at_pids_limit(containers, busybox):
    from runtime.linux.cgroups import CgroupSet

    # the subshell forks until it cannot (and dies of it); the outer shell reports, then becomes a sleep (exec: no fork)
    script = "(i=0; while [ $i -lt 40 ]; do sleep 60 & i=$((i+1)); done) 2>&1; echo spawned; exec sleep 60"
    cid = detached("--name", "bomb", "--pids-limit", "12", "busybox", "sh", "-c", script)
    wait_for(lambda: b"spawned" in cli("container", "logs", "bomb").stdout, "the loop to finish")
    errors = cli("container", "logs", "bomb").stdout.decode().lower()
    assert "fork" in errors or "resource temporarily unavailable" in errors
    assert 1 < len(CgroupSet(cid).pids()) <= 12
    assert cli("container", "rm", "-f", "bomb").returncode == 0


def test_cgroup_limits_are_written(containers, busybox):
    cid = detached("--name", "lim", "-m", "64m", "--cpus", "0.5", "--cpu-shares", "512", "--pids-limit", "50",
                   "busybox", "sleep", "60")
    from runtime.linux.cgroups import CgroupSet

    cg = CgroupSet(cid)
    if cg.v2:
        assert cg._read("unified/memory.max").strip() == str(64 * 1024 * 1024)
        assert cg._read("unified/cpu.max").split() == ["50000", "100000"]
    else:
        assert cg._read("memory/memory.limit_in_bytes").strip() == str(64 * 1024 * 1024)
        assert cg._read("cpu/cpu.cfs_quota_us").strip() == "50000"
        assert cg._read("cpu/cpu.shares").strip() == "512"
        assert cg._read("pids/pids.max").strip() == "50"
    pids = cg.pids()
    assert inspect("lim")["State"]["Pid"] in pids
    assert cli("container", "rm", "-f", "lim").returncode == 0


def test_parent_cgroup_goes_with_the_last_container(containers, busybox, cgroup_parent):
    from runtime.linux.cgroups import CgroupSet

    first = detached("--name", "one", "busybox", "sleep", "60")
    detached("--name", "two", "busybox", "sleep", "60")
    parents = {path.parent for path in CgroupSet(first).paths.values()}
    assert all(p.name == cgroup_parent for p in parents)
    assert cli("container", "rm", "-f", "one").returncode == 0
    assert all(p.is_dir() for p in parents), "the parent must stay while a container uses it"
    assert cli("container", "rm", "-f", "two").returncode == 0
    assert not any(p.exists() for p in parents)


def test_logs_keep_streams_apart_with_timestamps(containers, busybox):
    result = cli("container", "run", "--name", "talk", "busybox", "sh", "-c", "echo out1; echo err1 >&2; echo out2")
    assert result.returncode == 0
    assert result.stdout == b"out1\nout2\n"
    assert result.stderr == b"err1\n"
    logs = cli("container", "logs", "-t", "talk")
    assert logs.stdout.decode().split(" ", 1)[1] .startswith("out1")
    stamp = logs.stdout.decode().split(" ", 1)[0]
    assert stamp.endswith("Z") and "T" in stamp
    log_path = inspect("talk")["LogPath"]
    with open(log_path) as f:
        entries = [json.loads(line) for line in f]
    # two pipes: the order within a stream is kept, the interleaving of the two is not defined
    assert [e["log"] for e in entries if e["stream"] == "stdout"] == ["out1\n", "out2\n"]
    assert [e["log"] for e in entries if e["stream"] == "stderr"] == ["err1\n"]
    assert all(set(e) == {"log", "stream", "time"} for e in entries)
    tail = cli("container", "logs", "--tail", "1", "talk")
    last = entries[-1]
    assert (tail.stdout if last["stream"] == "stdout" else tail.stderr) == last["log"].encode()
    assert len(tail.stdout.splitlines()) + len(tail.stderr.splitlines()) == 1
    assert cli("container", "rm", "talk").returncode == 0


def test_logs_rotate_at_max_size(containers, busybox):
    script = "i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"
    result = cli("container", "run", "--name", "rot", "--log-opt", "max-size=2k", "--log-opt", "max-file=3",
                 "busybox", "sh", "-c", script)
    assert result.returncode == 0
    path = inspect("rot")["LogPath"]
    assert os.path.exists(path + ".1") and os.path.exists(path + ".2")
    assert not os.path.exists(path + ".3")
    for p in (path, path + ".1", path + ".2"):
        assert os.path.getsize(p) <= 2048
    lines = cli("container", "logs", "rot").stdout.decode().splitlines()
    assert lines[-1].startswith("line-299-")
    numbers = [int(line.split("-")[1]) for line in lines]
    assert numbers == list(range(numbers[0], 300))  # the newest lines, in order, none lost in between
    assert cli("container", "rm", "rot").returncode == 0


@pytest.mark.skipif(init_binary() is None, reason="Debian's tini is not installed")
def test_stop_sends_signal_then_kills_after_grace(containers, busybox):
    detached("--name", "stubborn", "busybox", "sleep", "60")
    assert cli("container", "stop", "-t", "1", "stubborn").returncode == 0
    assert inspect("stubborn")["State"]["ExitCode"] == 137  # PID 1 ignores SIGTERM: killed after the grace period
    detached("--name", "polite", "--init", "busybox", "sleep", "60")
    assert cli("container", "stop", "-t", "30", "polite").returncode == 0
    assert inspect("polite")["State"]["ExitCode"] == 143  # tini passes SIGTERM on; sleep dies of it
    assert cli("container", "rm", "stubborn", "polite").returncode == 0


def test_kill_pause_unpause_and_rm_refuses_running(containers, busybox):
    detached("--name", "p", "busybox", "sleep", "60")
    assert cli("container", "pause", "p").returncode == 0
    assert status("p") == "paused"
    refused = cli("container", "exec", "p", "true")
    assert refused.returncode == 1 and b"paused" in refused.stderr
    assert cli("container", "unpause", "p").returncode == 0
    assert status("p") == "running"
    refused = cli("container", "rm", "p")
    assert refused.returncode == 1 and b"stop the container before removing" in refused.stderr
    assert cli("container", "kill", "p").returncode == 0
    assert inspect("p")["State"]["ExitCode"] == 137
    assert cli("container", "rm", "p").returncode == 0
    assert b"No such container" in cli("container", "inspect", "p").stderr


def test_restart_on_failure_gives_up_after_n(containers, busybox):
    detached("--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3")
    assert cli("container", "wait", "flaky").stdout.strip() == b"3"
    info = inspect("flaky")
    assert info["RestartCount"] == 2
    assert info["State"]["Status"] == "exited"
    assert cli("container", "rm", "flaky").returncode == 0


def test_restart_always_until_stopped(containers, busybox):
    detached("--name", "loop", "--restart", "always", "busybox", "sh", "-c", "exit 0")
    wait_for(lambda: inspect("loop")["RestartCount"] >= 3, "three restarts")
    assert cli("container", "stop", "loop").returncode == 0
    assert status("loop") == "exited"
    count = inspect("loop")["RestartCount"]
    assert cli("container", "ls", "-q").stdout == b""
    assert inspect("loop")["RestartCount"] == count
    assert cli("container", "rm", "loop").returncode == 0


def test_restart_no_and_unless_stopped(containers, busybox):
    result = cli("container", "run", "--name", "once", "busybox", "sh", "-c", "exit 1")
    assert result.returncode == 1 and inspect("once")["RestartCount"] == 0
    detached("--name", "us", "--restart", "unless-stopped", "busybox", "sh", "-c", "sleep 0.1; exit 1")
    wait_for(lambda: inspect("us")["RestartCount"] >= 1, "a restart")
    assert cli("container", "stop", "us").returncode == 0
    assert status("us") == "exited"
    assert cli("container", "rm", "once", "us").returncode == 0


def test_healthcheck_goes_unhealthy_then_healthy(containers, busybox):
    detached("--name", "doc", "--health-cmd", "test -f /tmp/ok", "--health-interval", "100ms",
             "--health-retries", "2", "--health-timeout", "10s", "busybox", "sleep", "60")
    assert inspect("doc")["State"]["Health"]["Status"] in ("starting", "unhealthy")
    wait_for(lambda: inspect("doc")["State"]["Health"]["Status"] == "unhealthy", "unhealthy")
    health = inspect("doc")["State"]["Health"]
    assert health["FailingStreak"] >= 2 and health["Log"][-1]["ExitCode"] == 1
    assert cli("container", "exec", "doc", "touch", "/tmp/ok").returncode == 0
    wait_for(lambda: inspect("doc")["State"]["Health"]["Status"] == "healthy", "healthy")
    assert "(healthy)" in cli("container", "ls").stdout.decode()
    assert cli("container", "rm", "-f", "doc").returncode == 0


def test_healthcheck_timeout_counts_as_failure(containers, busybox):
    detached("--name", "slow", "--health-cmd", "sleep 5", "--health-interval", "100ms", "--health-retries", "1",
             "--health-timeout", "200ms", "busybox", "sleep", "60")
    wait_for(lambda: inspect("slow")["State"]["Health"]["Status"] == "unhealthy", "unhealthy")
    probe = inspect("slow")["State"]["Health"]["Log"][-1]
    assert probe["ExitCode"] == -1 and "timeout" in probe["Output"]
    assert cli("container", "rm", "-f", "slow").returncode == 0


def test_exec_env_user_workdir_and_exit_code(containers, busybox):
    detached("--name", "x", "-e", "A=1", "busybox", "sleep", "60")
    result = cli("container", "exec", "-e", "B=2", "-u", "nobody", "-w", "/tmp", "x", "sh", "-c",
                 "echo $A $B; id -u; pwd; grep CapEff /proc/self/status; exit 9")
    assert result.returncode == 9
    lines = result.stdout.decode().splitlines()
    assert lines[:3] == ["1 2", "65534", "/tmp"]
    assert lines[3].split()[1] == "0000000000000000"
    root = cli("container", "exec", "x", "sh", "-c", "grep CapEff /proc/self/status; cat /proc/1/cmdline")
    assert root.stdout.decode().split()[1] == "00000000a80425fb"
    missing = cli("container", "exec", "x", "nope")
    assert missing.returncode == 127
    privileged = cli("container", "exec", "--privileged", "x", "sh", "-c",
                     "grep -E '^(CapEff|Seccomp):' /proc/self/status")
    fields = dict(line.split(":\t") for line in privileged.stdout.decode().splitlines())
    assert int(fields["CapEff"], 16) & (1 << 21) and fields["Seccomp"] == "0"
    assert cli("container", "rm", "-f", "x").returncode == 0


def test_exec_with_pty(containers, busybox):
    detached("--name", "tty", "busybox", "sleep", "60")
    with_tty = cli("container", "exec", "-t", "tty", "sh", "-c", "tty; test -t 0 && echo yes")
    assert with_tty.returncode == 0
    out = with_tty.stdout.decode().replace("\r", "").split()
    assert out[0].startswith("/dev/pts/") and out[1] == "yes"
    without = cli("container", "exec", "tty", "sh", "-c", "tty || true")
    assert b"not a tty" in without.stdout
    assert cli("container", "rm", "-f", "tty").returncode == 0


def test_run_with_tty_and_stdin(containers, busybox):
    result = cli("container", "run", "--rm", "-t", "busybox", "sh", "-c", "tty")
    assert result.stdout.decode().strip().startswith("/dev/pts/")
    echoed = cli("container", "run", "--rm", "-i", "busybox", "cat", input=b"hello through stdin\n")
    assert echoed.stdout == b"hello through stdin\n"


def test_supervisor_killed_container_survives_and_is_readopted(containers, busybox):
    script = "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.05; done"
    detached("--name", "orphan", "busybox", "sh", "-c", script)
    first = inspect("orphan")["State"]
    os.kill(first["SupervisorPid"], signal.SIGKILL)
    from runtime.container.store import alive

    wait_for(lambda: not alive(first["SupervisorPid"], 0), "the shim to die")
    listed = cli("container", "ls")
    listing = listed.stdout.decode()
    assert "orphan" in listing and "Up" in listing
    assert b"container orphan: its supervisor had been killed; a new one took it over" in listed.stderr
    state = inspect("orphan")["State"]
    assert state["Pid"] == first["Pid"] and state["Running"]
    assert state["SupervisorPid"] != first["SupervisorPid"]
    assert "re-adopted" in state["Note"]
    before = len(cli("container", "logs", "orphan").stdout.splitlines())
    wait_for(lambda: len(cli("container", "logs", "orphan").stdout.splitlines()) > before + 3, "more log lines")
    assert cli("container", "exec", "orphan", "true").returncode == 0
    assert cli("container", "stop", "-t", "1", "orphan").returncode == 0
    assert inspect("orphan")["State"]["ExitCode"] == 137
    assert cli("container", "rm", "orphan").returncode == 0


def test_server_killed_containers_keep_running(containers, busybox, state_root):
    from runtime.supervisor import client

    detached("--name", "s1", "busybox", "sleep", "60")
    server = client.server_request(state_root, {"op": "ping"})
    assert server is not None
    os.kill(server["pid"], signal.SIGKILL)
    wait_for(lambda: client.server_request(state_root, {"op": "ping"}) is None, "the server to die")
    assert status("s1") == "running"
    detached("--name", "s2", "busybox", "sleep", "60")  # a new server starts on demand
    assert cli("container", "stop", "-t", "0", "s1", "s2").returncode == 0
    assert [status("s1"), status("s2")] == ["exited", "exited"]
    assert cli("container", "rm", "s1", "s2").returncode == 0


def test_shim_and_server_both_killed(containers, busybox, state_root):
    from runtime.container.store import alive
    from runtime.supervisor import client

    detached("--name", "lone", "busybox", "sleep", "60")
    shim = inspect("lone")["State"]["SupervisorPid"]
    server = client.server_request(state_root, {"op": "ping"})
    assert server is not None
    os.kill(server["pid"], signal.SIGKILL)
    os.kill(shim, signal.SIGKILL)
    wait_for(lambda: not alive(shim, 0) and not alive(server["pid"], 0), "both supervisors to die")
    assert status("lone") == "running"  # re-adopted by a new shim from a new server
    assert cli("container", "exec", "lone", "true").returncode == 0
    assert cli("container", "stop", "-t", "0", "lone").returncode == 0
    state = inspect("lone")["State"]
    assert state["Status"] == "exited"
    assert state["ExitCode"] == 255 and "lost" in state["Note"]  # reaped by the host's init: status unknowable
    assert cli("container", "rm", "lone").returncode == 0


def test_resource_flags_reach_the_process(containers, busybox):
    result = cli("container", "run", "--rm", "--oom-score-adj", "500", "--cpuset-cpus", "0", "--uts", "host",
                 "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c",
                 "cat /proc/self/oom_score_adj; grep Cpus_allowed_list /proc/self/status; hostname; "
                 "echo x > /dev/mynull && echo devok")
    lines = result.stdout.decode().split("\n")
    assert result.returncode == 0, result.stderr
    assert lines[0] == "500"
    assert lines[1].split()[-1] == "0"
    assert lines[2] == os.uname().nodename
    assert lines[3] == "devok"


def test_logs_follow_until_exit_and_exec_detach(containers, busybox):
    detached("--name", "f", "busybox", "sh", "-c", "echo a; sleep 0.3; echo b")
    followed = cli("container", "logs", "-f", "f")
    assert followed.stdout == b"a\nb\n"
    detached("--name", "d", "busybox", "sleep", "60")
    assert cli("container", "exec", "-d", "d", "sh", "-c", "echo done > /tmp/mark").returncode == 0
    wait_for(lambda: cli("container", "exec", "d", "cat", "/tmp/mark").stdout == b"done\n", "the detached exec")
    assert cli("container", "rm", "-f", "f", "d").returncode == 0


@pytest.mark.skipif(init_binary() is None, reason="Debian's tini is not installed")
def test_attached_run_passes_sigterm_to_the_container(containers, busybox):
    import subprocess
    import sys

    from container_helpers import REPO

    proc = subprocess.Popen([sys.executable, "-m", "compose", "container", "run", "--name", "fg", "--init",
                             "busybox", "sh", "-c", "echo started; sleep 60"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"started\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143  # tini got SIGTERM, passed it on; sh died of it
    assert inspect("fg")["State"]["ExitCode"] == 143
    assert cli("container", "rm", "fg").returncode == 0


def test_paused_container_can_be_killed_and_removed(containers, busybox):
    detached("--name", "frozen", "--health-cmd", "true", "--health-interval", "100ms", "busybox", "sleep", "60")
    assert cli("container", "pause", "frozen").returncode == 0
    assert cli("container", "kill", "frozen").returncode == 0
    assert inspect("frozen")["State"]["ExitCode"] == 137
    detached("--name", "frozen2", "busybox", "sleep", "60")
    assert cli("container", "pause", "frozen2").returncode == 0
    assert cli("container", "rm", "-f", "frozen", "frozen2").returncode == 0


def test_rm_is_carried_out_even_if_the_command_is_killed(containers, busybox):
    import subprocess
    import sys

    from container_helpers import REPO

    proc = subprocess.Popen([sys.executable, "-m", "compose", "container", "run", "--rm", "--name", "gone",
                             "busybox", "sh", "-c", "echo up; sleep 0.5"], stdout=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    proc.kill()
    proc.wait()
    wait_for(lambda: inspect("gone")["State"]["Status"] == "exited", "the container to exit")
    listed = cli("container", "ls", "-a")
    assert b"gone" not in listed.stdout
    assert b"removed (it was run with --rm)" in listed.stderr
    assert b"No such container" in cli("container", "inspect", "gone").stderr
    # while the command that ran it still follows it, others leave a --rm container alone
    proc = subprocess.Popen([sys.executable, "-m", "compose", "container", "run", "--rm", "--name", "kept",
                             "busybox", "sh", "-c", "echo up; sleep 1"], stdout=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    assert b"kept" in cli("container", "ls", "-a").stdout
    assert proc.wait(timeout=60) == 0


def test_a_container_writing_without_pause_keeps_its_shim_responsive(containers, busybox):
    """A shim reads a stream in bounded bites: a container that never stops writing must not
    keep it from its requests (a shim taken for dead got a second, adopting one, and the exit
    status was lost as 255)."""
    from runtime.supervisor import client

    script = "end=$(($(date +%s)+7)); while [ $(date +%s) -lt $end ]; do seq 1 20000; done; echo last"
    cid = detached("--name", "flood", "busybox", "sh", "-c", script)
    sock = containers.store.socket_path(cid)
    assert sock.exists()
    time.sleep(2)  # the pipe is full by now
    for _ in range(3):
        reply = client.shim_request(sock, {"op": "state"}, timeout=2)
        assert reply is not None and reply[0]["state"]["status"] == "running"
    result = cli("container", "wait", "flood")
    assert result.stdout.decode().strip() == "0", inspect("flood")["State"]
    assert not inspect("flood")["State"].get("Note")
    assert cli("container", "logs", "--tail", "1", "flood").stdout == b"last\n"
    assert cli("container", "rm", "flood").returncode == 0
