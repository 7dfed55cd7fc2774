"""Unit tests of the runtime's rules: no kernel, no root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compose.cli.commands.container import parse_duration, parse_size
from runtime.container import health, process, restart
from runtime.container.logs import LogWriter, read_logs
from runtime.container.rootfs import parse_options, secure_join
from runtime.container.spec import ContainerSpec, Healthcheck, Mount, Namespace, Process, RestartPolicy, User
from runtime.container.store import ContainerState, InvalidState
from runtime.errors import RuntimeFailure
from runtime.linux import capabilities, libc

# ---- ENTRYPOINT / CMD (Docker's table) ----------------------------------------------------------
IMAGE = process.ImageProcess(entrypoint=("/entry",), cmd=("default", "args"))


@pytest.mark.parametrize(("image", "ov", "expected"), [
    (IMAGE, process.Overrides(), ("/entry", "default", "args")),
    (IMAGE, process.Overrides(command=("x",)), ("/entry", "x")),
    (IMAGE, process.Overrides(entrypoint=("/other",)), ("/other",)),  # a new entrypoint drops the image's CMD
    (IMAGE, process.Overrides(entrypoint=("/other",), command=("y",)), ("/other", "y")),
    (IMAGE, process.Overrides(entrypoint=(), command=("sh",)), ("sh",)),  # entrypoint reset to empty
    (process.ImageProcess(cmd=("sh",)), process.Overrides(), ("sh",)),
])
def test_argv_rules(image, ov, expected):
    assert process.argv(image, ov) == expected


def test_argv_without_anything_is_an_error():
    with pytest.raises(RuntimeFailure, match="no command"):
        process.argv(process.ImageProcess(), process.Overrides())


def test_env_merge_later_wins_order_kept():
    assert process.merge_env(("A=1", "B=2"), ("B=3", "C=4")) == ("A=1", "B=3", "C=4")


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\napp:x:1000:\naudio:x:29:app,other\nvideo:x:44:app\n")
    return tmp_path


@pytest.mark.parametrize(("spec", "uid", "gid", "groups", "home"), [
    ("", 0, 0, (), "/root"),
    ("app", 1000, 1000, (29, 44), "/home/app"),
    ("1000", 1000, 1000, (29, 44), "/home/app"),
    ("app:audio", 1000, 29, (), "/home/app"),
    ("4242", 4242, 0, (), "/"),
    ("4242:4343", 4242, 4343, (), "/"),
])
def test_user_resolution(etc, spec, uid, gid, groups, home):
    user, got_home = process.resolve_user(etc, spec)
    assert (user.uid, user.gid, user.additional_gids, got_home) == (uid, gid, groups, home)


def test_user_resolution_errors_and_group_add(etc):
    with pytest.raises(RuntimeFailure, match="unable to find user nobody"):
        process.resolve_user(etc, "nobody")
    with pytest.raises(RuntimeFailure, match="unable to find group nogroup"):
        process.resolve_user(etc, "app:nogroup")
    user, _ = process.resolve_user(etc, "root", ("video", "77"))
    assert user.additional_gids == (44, 77)


def test_build_adds_docker_defaults(etc):
    proc = process.build(etc, process.ImageProcess(cmd=("sh",), env=("A=1",)),
                         process.Overrides(tty=True, hostname="h1", user="app"))
    env = dict(item.split("=", 1) for item in proc.env)
    assert env["PATH"].startswith("/usr/local/sbin") and env["TERM"] == "xterm"
    assert env["HOSTNAME"] == "h1" and env["HOME"] == "/home/app" and env["A"] == "1"
    assert proc.cwd == "/" and proc.terminal


# ---- restart policies --------------------------------------------------------------------------
@pytest.mark.parametrize(("policy", "code", "stopped", "count", "expected"), [
    ("no", 1, False, 0, False),
    ("always", 0, False, 5, True),
    ("always", 1, True, 0, False),
    ("unless-stopped", 0, False, 0, True),
    ("unless-stopped", 0, True, 0, False),
    ("on-failure", 0, False, 0, False),
    ("on-failure", 2, False, 100, True),
    ("on-failure:3", 2, False, 2, True),
    ("on-failure:3", 2, False, 3, False),
])
def test_should_restart(policy, code, stopped, count, expected):
    assert restart.should_restart(restart.parse(policy), code, stopped_by_user=stopped, restart_count=count) is expected


def test_restart_parse_errors():
    for bad in ("sometimes", "always:3", "on-failure:x"):
        with pytest.raises(RuntimeFailure):
            restart.parse(bad)


def test_backoff_doubles_caps_and_resets():
    b = restart.Backoff()
    delays = []
    for _ in range(12):
        b = b.next(ran_for=0.5)
        delays.append(b.delay)
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert delays[-1] == restart.MAX_DELAY
    assert b.next(ran_for=11).delay == restart.INITIAL_DELAY


# ---- healthcheck state ---------------------------------------------------------------------------
def probe(code: int) -> health.Probe:
    return health.Probe("s", "e", code, "out")


def test_health_failures_in_start_period_do_not_count():
    hs = health.HealthState(Healthcheck(("CMD", "x"), interval=10, retries=2, start_period=30, start_interval=1),
                            started_at=0.0)
    assert hs.delay(5.0) == 1
    hs.record(probe(1), 5.0)
    hs.record(probe(1), 6.0)
    assert (hs.status, hs.failing_streak) == ("starting", 0)
    hs.record(probe(1), 31.0)
    assert (hs.status, hs.failing_streak) == ("starting", 1)
    assert hs.delay(31.0) == 10
    hs.record(probe(1), 41.0)
    assert hs.status == "unhealthy"
    hs.record(probe(0), 51.0)
    assert (hs.status, hs.failing_streak) == ("healthy", 0)


def test_health_success_in_start_period_is_healthy_and_log_keeps_five():
    hs = health.HealthState(Healthcheck(("CMD", "x"), start_period=30), started_at=0.0)
    for i in range(7):
        hs.record(probe(0 if i == 0 else 1), 1.0 + i)
    assert hs.status == "unhealthy"  # after the first success the start period no longer applies
    assert len(hs.log) == health.KEEP
    assert hs.to_json()["FailingStreak"] == 6


@pytest.mark.parametrize(("test", "argv"), [
    (("CMD", "curl", "-f", "x"), ("curl", "-f", "x")),
    (("CMD-SHELL", "curl -f x || exit 1"), ("/bin/sh", "-c", "curl -f x || exit 1")),
    (("NONE",), None),
    ((), None),
])
def test_probe_forms(test, argv):
    assert health.probe_argv(test) == argv


# ---- logs -------------------------------------------------------------------------------------------
def test_log_writer_lines_partials_and_rotation(tmp_path: Path):
    path = tmp_path / "c-json.log"
    w = LogWriter(path, max_size=300, max_file=3)
    w.feed("stdout", b"hel")
    w.feed("stdout", b"lo\nwor")
    w.feed("stderr", b"oops\n")
    w.feed("stdout", b"ld\n")
    for i in range(20):
        w.feed("stdout", f"line {i}\n".encode())
    w.feed("stdout", b"tail")
    w.close()
    assert path.exists() and (tmp_path / "c-json.log.1").exists() and (tmp_path / "c-json.log.2").exists()
    assert not (tmp_path / "c-json.log.3").exists()
    assert all(p.stat().st_size <= 300 for p in tmp_path.iterdir())
    entries = read_logs(path)
    texts = [e.text for e in entries]
    assert texts[-1] == "tail"  # the unfinished tail, without newline, at close
    assert texts[-2] == "line 19\n"
    first = json.loads(path.read_text().splitlines()[0])
    assert set(first) == {"log", "stream", "time"}
    assert read_logs(path, tail=2)[0].text == "line 19\n"
    w2 = LogWriter(tmp_path / "p.log")
    w2.feed("stdout", b"hel")
    w2.feed("stdout", b"lo\nwor")
    w2.feed("stdout", b"ld\n")
    w2.close()
    assert [e.text for e in read_logs(tmp_path / "p.log")] == ["hello\n", "world\n"]


def test_log_writer_splits_long_lines(tmp_path: Path):
    w = LogWriter(tmp_path / "l.log")
    w.feed("stdout", b"x" * 20000 + b"\n")
    w.close()
    parts = [e.text for e in read_logs(tmp_path / "l.log")]
    assert [len(p) for p in parts] == [16384, 20000 - 16384 + 1]


def test_log_driver_none_writes_nothing(tmp_path: Path):
    w = LogWriter(tmp_path / "n.log", enabled=False)
    w.feed("stdout", b"x\n")
    w.close()
    assert not (tmp_path / "n.log").exists()


# ---- spec, state machine, capabilities, mounts, CLI values -------------------------------------------
def test_spec_round_trips_through_json():
    spec = ContainerSpec(process=Process(args=("a",), user=User(1, 2, (3,), "u")), mounts=(Mount("/d", "tmpfs"),),
                         namespaces=(Namespace("pid", "host"),), healthcheck=Healthcheck(("CMD", "x")),
                         restart=RestartPolicy("on-failure", 3), sysctls=(("a.b", "1"),))
    again = ContainerSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert again == spec
    assert again.namespace("network").mode == "host"  # not listed: shared with the host


def test_state_machine_guards():
    ContainerState(status="running").guard("stop", "c")
    with pytest.raises(InvalidState, match="cannot start container c: container is running"):
        ContainerState(status="running").guard("start", "c")
    with pytest.raises(InvalidState):
        ContainerState(status="exited").guard("exec", "c")


def test_capability_rules():
    default = capabilities.DOCKER_DEFAULT
    assert capabilities.mask(default) == 0xA80425FB
    added = capabilities.resolve(default, add=("net_admin",), drop=("CAP_CHOWN",))
    assert "CAP_NET_ADMIN" in added and "CAP_CHOWN" not in added
    assert capabilities.resolve(default, add=("NET_RAW",), drop=("ALL",)) == ("CAP_NET_RAW",)
    assert set(capabilities.resolve(default, add=("ALL",))) == set(capabilities.known())
    with pytest.raises(RuntimeFailure, match="unknown capability"):
        capabilities.resolve(default, add=("CAP_FLY",))


def test_secure_join_never_leaves_the_root(tmp_path: Path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/evil").symlink_to("/../../../../usr")
    (root / "up").symlink_to("../../..")
    assert secure_join(root, "/etc/evil/bin") == root / "usr/bin"
    assert secure_join(root, "/up/x") == root / "x"
    assert secure_join(root, "../../a") == root / "a"


def test_mount_option_words():
    flags, propagation, data = parse_options(("ro", "nosuid", "size=10m", "rprivate"))
    assert flags == libc.MS_RDONLY | libc.MS_NOSUID
    assert propagation == libc.MS_PRIVATE | libc.MS_REC
    assert data == "size=10m"


@pytest.mark.parametrize(("text", "value"), [("64m", 64 << 20), ("1g", 1 << 30), ("512k", 512 << 10),
                                             ("1024", 1024), ("1.5g", int(1.5 * (1 << 30))), ("10mb", 10 << 20)])
def test_sizes(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize(("text", "value"), [("30s", 30.0), ("1m30s", 90.0), ("500ms", 0.5), ("2", 2.0),
                                             ("1h", 3600.0)])
def test_durations(text, value):
    assert parse_duration(text) == value


def test_bad_durations():
    for bad in ("", "10x", "s10"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_cgroup_v2_files_table():
    from runtime.linux.cgroups import CgroupSet, Resources

    files = dict(CgroupSet._v2_files(Resources(memory=100, memory_swap=300, memory_reservation=50, cpu_quota=50000,
                                                cpu_shares=1024, cpuset_cpus="0-1", pids_limit=0)))
    assert files == {"unified/memory.low": "50", "unified/memory.max": "100", "unified/memory.swap.max": "200",
                     "unified/cpu.weight": "39", "unified/cpu.max": "50000 100000", "unified/cpuset.cpus": "0-1",
                     "unified/pids.max": "max"}
    unlimited_swap = dict(CgroupSet._v2_files(Resources(memory=100, memory_swap=-1)))
    assert unlimited_swap["unified/memory.swap.max"] == "max"


def test_facade_exports_are_pinned():
    import runtime.api.containers as api

    assert sorted(api.__all__) == sorted([
        "ContainerInfo", "ContainerRecord", "ContainerSpec", "ContainerStartError", "ContainerState", "Containers",
        "Device", "ExecError", "Healthcheck", "ImageProcess", "LogConfig", "LogEntry", "Mount", "Namespace",
        "NotFound", "Overrides", "Process", "Resources", "RestartPolicy", "Rlimit", "User", "resolve_capabilities",
    ])
    for name in api.__all__:
        assert hasattr(api, name)


@pytest.mark.parametrize(("key", "namespaces", "ok"), [
    ("net.ipv4.ip_forward", (), True),
    ("kernel.shmmax", (), True),
    ("fs.mqueue.msg_max", (), True),
    ("kernel.domainname", (), True),
    ("vm.swappiness", (), False),
    ("kernel.hostname", (), False),
    ("net.ipv4.ip_forward", (Namespace("network", "host"),), False),
    ("kernel.sem", (Namespace("ipc", "container:x"),), False),
])
def test_sysctls_must_belong_to_a_private_namespace(key, namespaces, ok):
    from runtime.container import sysctls

    base = {ns.kind: ns for ns in ContainerSpec(process=Process(args=("x",))).namespaces}
    base.update({ns.kind: ns for ns in namespaces})
    spec = ContainerSpec(process=Process(args=("x",)), namespaces=tuple(base.values()), sysctls=((key, "1"),))
    if ok:
        sysctls.validate(spec)
    else:
        with pytest.raises(RuntimeFailure, match="not allowed"):
            sysctls.validate(spec)


def test_etc_files(tmp_path: Path):
    from runtime.container import etcfiles

    spec = ContainerSpec(process=Process(args=("x",)), dns=("1.1.1.1",), dns_search=("example.org",),
                         dns_options=("ndots:2",), extra_hosts=(("db", "10.0.0.5"),))
    etcfiles.write(tmp_path, spec, "box")
    assert (tmp_path / "hostname").read_text() == "box\n"
    assert "10.0.0.5\tdb" in (tmp_path / "hosts").read_text().splitlines()
    assert (tmp_path / "resolv.conf").read_text() == "nameserver 1.1.1.1\nsearch example.org\noptions ndots:2\n"
    from_host = etcfiles.resolv_conf(ContainerSpec(process=Process(args=("x",))))
    assert from_host.startswith("nameserver ") and "nameserver 127." not in from_host
    assert etcfiles.random_name("0" * 64) != etcfiles.random_name("f" * 64)


def test_cgroup_v1_files_table():
    from runtime.linux.cgroups import DEFAULT_DEVICE_RULES, CgroupSet, Resources

    cg = CgroupSet.__new__(CgroupSet)  # no kernel: only the table is under test
    cg.paths = {"memory": Path("/nonexistent")}
    files = cg._v1_files(Resources(memory=100, memory_reservation=50, cpu_quota=25000, cpu_shares=512,
                                   cpuset_cpus="0", pids_limit=-1), DEFAULT_DEVICE_RULES)
    assert ("memory/memory.limit_in_bytes", "100") in files
    assert ("memory/memory.soft_limit_in_bytes", "50") in files
    assert files.index(("cpu/cpu.cfs_period_us", "100000")) < files.index(("cpu/cpu.cfs_quota_us", "25000"))
    assert ("cpu/cpu.shares", "512") in files and ("pids/pids.max", "max") in files
    assert ("cpuset/cpuset.cpus", "0") in files
    assert not any(name.startswith("devices/") for name, _ in files)  # no devices hierarchy in paths
    cg.paths["devices"] = Path("/nonexistent")
    files = cg._v1_files(Resources(), DEFAULT_DEVICE_RULES)
    assert files[0] == ("devices/devices.deny", "a") and ("devices/devices.allow", "c 1:3 rwm") in files
    assert cg._v1_files(Resources(), None) == []  # privileged: every device


def test_protocol_carries_messages_and_fds():
    import os
    import socket

    from runtime.supervisor import protocol

    a, b = socket.socketpair()
    r, w = os.pipe()
    protocol.send(a, {"op": "stdin"}, [w])
    protocol.send(a, {"op": "second"})
    buffer = bytearray()
    msg, fds = protocol.receive(b, buffer)
    assert msg == {"op": "stdin"} and len(fds) == 1
    os.write(fds[0], b"x")
    assert os.read(r, 1) == b"x"
    assert protocol.receive(b, buffer)[0] == {"op": "second"}
    a.close()
    assert protocol.receive(b, buffer) == (None, [])
    for fd in (r, w, fds[0]):
        os.close(fd)
    b.close()


def test_log_follow_reads_complete_entries_and_notices_rotation(tmp_path: Path):
    import os

    from runtime.container.logs import follow

    path = tmp_path / "f.log"
    w = LogWriter(path, max_size=120, max_file=2)
    w.feed("stdout", b"one\n")
    entries, offset, inode = follow(path, 0)
    assert [e.text for e in entries] == ["one\n"]
    with open(path, "ab") as f:
        f.write(b'{"log":"half')  # a torn write: not returned until complete
    assert follow(path, offset, inode)[0] == []
    os.truncate(path, offset)
    for word in ("two", "three", "four"):
        w.feed("stdout", word.encode() + b"\n")
    w.close()
    entries, offset, inode2 = follow(path, offset, inode)
    assert inode2 != inode  # rotated: the new file is read from its start
    assert entries and entries[-1].text == "four\n"


def test_close_fds_except_keeps_only_what_is_asked():
    import os

    r, w = os.pipe()
    keep_r, keep_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        libc.close_fds_except({0, 1, 2, keep_w})
        try:
            os.fstat(w)
            os._exit(3)  # still open: wrong
        except OSError:
            pass
        os.write(keep_w, b"ok")
        os._exit(0)
    os.close(w)
    os.close(keep_w)
    assert os.read(r, 1) == b""  # the child closed its copy of w: end of file
    assert os.read(keep_r, 2) == b"ok"
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    os.close(r)
    os.close(keep_r)
