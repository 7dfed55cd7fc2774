"""What a process inside a container observes: isolation and Docker's security defaults."""

from __future__ import annotations

import pytest
from container_helpers import cli, run

from runtime.linux.capabilities import DOCKER_DEFAULT, mask
from runtime.linux.cgroups import unified_mode
from runtime.supervisor.shim import init_binary

pytestmark = pytest.mark.integration


def sh(*args: str, script: str) -> tuple[int, str, str]:
    result = run(*args, "busybox", "sh", "-c", script)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_pid_1_and_only_its_own_processes(containers, busybox):
    code, out, _ = sh(script="echo $$; ps -o pid,comm; true")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "1"
    seen = sorted(tuple(line.split()) for line in lines[2:])
    assert [comm for _, comm in seen] == ["sh", "ps"] or [comm for _, comm in seen] == ["ps", "sh"]
    assert ("1", "sh") in seen  # and nothing of the host


def test_own_hostname_mounts_and_only_loopback(containers, busybox):
    code, out, _ = sh("--hostname", "box1", script="hostname; ls /sys/class/net; cat /proc/self/mountinfo")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "box1"
    assert lines[1] == "lo"
    mountpoints = {line.split()[4] for line in lines[2:]}
    assert "/" in mountpoints and "/proc" in mountpoints and "/dev/pts" in mountpoints
    assert not any(p.startswith(("/tmp/", "/var/lib", "/home")) for p in mountpoints)


def test_default_hostname_is_short_id(containers, busybox):
    result = cli("container", "run", "-d", "--name", "h", "busybox", "sleep", "30")
    cid = result.stdout.decode().strip()
    out = cli("container", "exec", "h", "hostname").stdout.decode().strip()
    assert out == cid[:12]
    assert cli("container", "rm", "-f", "h").returncode == 0


def test_capabilities_are_dockers_default_set(containers, busybox):
    code, out, _ = sh(script="grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status")
    values = {line.split(":")[0]: int(line.split()[1], 16) for line in out.splitlines()}
    assert code == 0
    assert values["CapEff"] == mask(DOCKER_DEFAULT) == 0xA80425FB
    assert values["CapBnd"] == values["CapPrm"] == values["CapEff"]


def test_cap_add_and_drop(containers, busybox):
    _, out, _ = sh("--cap-add", "NET_ADMIN", "--cap-drop", "chown", script="grep CapEff /proc/self/status")
    eff = int(out.split()[1], 16)
    assert eff & (1 << 12)  # CAP_NET_ADMIN
    assert not eff & 1  # CAP_CHOWN


def test_non_root_user_has_no_effective_capabilities(containers, busybox):
    code, out, _ = sh("-u", "nobody", script="id; grep CapEff /proc/self/status")
    assert code == 0
    assert "uid=65534(nobody) gid=65534(nogroup)" in out
    assert out.split()[-1] == "0000000000000000"


def test_user_uid_gid_and_group_add(containers, busybox):
    code, out, _ = sh("-u", "1234:65534", "--group-add", "root", script="id -u; id -g; id -G")
    assert code == 0
    assert out.split() == ["1234", "65534", "65534", "0"]


def test_masked_paths_are_empty_or_unreadable(containers, busybox):
    code, out, _ = sh(script="cat /proc/keys /proc/timer_list 2>/dev/null | wc -c; ls /sys/firmware | wc -l")
    assert code == 0
    assert out.split() == ["0", "0"]


@pytest.mark.parametrize(("what", "script"), [
    ("mount", "busybox mount -t tmpfs none /mnt"),
    ("unshare", "busybox unshare -m true"),
    ("reboot", "busybox reboot -f"),
    ("module loading", "echo x > /tmp/x.ko && busybox insmod /tmp/x.ko"),
    ("/proc/sys write", "echo 1 > /proc/sys/kernel/ostype"),
    ("sysrq", "echo h > /proc/sysrq-trigger"),
    pytest.param("mknod outside the device allow-list", "busybox mknod /tmp/sda b 8 0 && cat /tmp/sda",
                 marks=pytest.mark.skipif(unified_mode(), reason="device allow-list needs eBPF on cgroup v2")),
])
def test_escape_probes_fail(containers, busybox, what, script):
    code, _, _ = sh(script=f"mkdir -p /mnt; {script}")
    assert code != 0, f"{what} succeeded inside the container"


def test_read_only_rootfs_refuses_writes(containers, busybox):
    code, _, err = sh("--read-only", script="touch /newfile")
    assert code != 0
    assert "Read-only file system" in err
    code, _, _ = sh("--read-only", "--tmpfs", "/scratch", script="touch /scratch/ok")
    assert code == 0


def test_env_path_default_and_workdir(containers, busybox):
    code, out, _ = sh("-e", "FOO=bar", "-w", "/data/sub", script="echo $FOO; echo $PATH; pwd; echo $HOME")
    assert code == 0
    assert out.split() == ["bar", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "/data/sub",
                           "/root"]


def test_exit_codes_and_missing_command(containers, busybox):
    assert sh(script="exit 7")[0] == 7
    result = run("busybox", "no-such-command")
    assert result.returncode == 127
    assert b"executable file not found" in result.stderr


def test_sysctl_and_ulimit(containers, busybox):
    code, out, _ = sh("--sysctl", "net.ipv4.ip_forward=1", "--ulimit", "nofile=123:456",
                      script="cat /proc/sys/net/ipv4/ip_forward; ulimit -n; ulimit -Hn")
    assert code == 0
    assert out.split() == ["1", "123", "456"]


def test_privileged_keeps_all_capabilities(containers, busybox):
    code, out, _ = sh("--privileged",
                      script="grep CapEff /proc/self/status; mkdir /mnt; busybox mount -t tmpfs none /mnt")
    assert code == 0, out
    assert int(out.split()[1], 16) & (1 << 21)  # CAP_SYS_ADMIN


def test_seccomp_unconfined_and_no_new_privileges(containers, busybox):
    _, out, _ = sh("--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges",
                   script="grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status")
    fields = dict(line.split(":\t") for line in out.splitlines())
    assert fields == {"NoNewPrivs": "1", "Seccomp": "0"}
    _, out, _ = sh(script="grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status")
    fields = dict(line.split(":\t") for line in out.splitlines())
    assert fields == {"NoNewPrivs": "0", "Seccomp": "2"}


def test_ipc_and_pid_host(containers, busybox):
    code, out, _ = sh("--pid", "host", script="echo $$")
    assert code == 0 and out.strip() != "1"


@pytest.mark.skipif(init_binary() is None, reason="Debian's tini is not installed")
def test_init_runs_tini_as_pid_1(containers, busybox):
    code, out, _ = sh("--init", script="cat /proc/1/cmdline; echo; echo $$")
    assert code == 0
    cmdline, pid = out.rsplit("\n", 2)[:2]
    assert cmdline.split("\0")[:4] == ["/sbin/docker-init", "--", "sh", "-c"]
    assert pid != "1"  # the shell is tini's child
