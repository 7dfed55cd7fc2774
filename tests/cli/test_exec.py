"""``exec`` end to end: exit codes, -e/-u/-w, --index, -d, with and without a pseudo-TTY."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    environment: {GREETING: hello}
    scale: 2
"""


def _in_pty(p: Project, *args: str) -> tuple[int, str]:
    """Run ``pycompose`` with its stdin/stdout on a terminal; (exit code, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "compose", "-p", p.name, *args], cwd=p.dir, env=p.env,
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.wait(30), seen.decode(errors="replace")


def test_exec_without_tty(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d")
    done = project.run("exec", "-T", "web", "sh", "-c", "echo $GREETING $EXTRA; id -u; pwd; exit 5",
                       "-e", check=False)
    assert done.returncode == 5
    done = project.run("exec", "-T", "-e", "EXTRA=world", "-u", "65534", "-w", "/tmp", "web",
                       "sh", "-c", "echo $GREETING $EXTRA; id -u; pwd; test -t 0 || echo no-tty; exit 5",
                       check=False)
    assert done.returncode == 5
    assert done.stdout.split("\n")[:4] == ["hello world", "65534", "/tmp", "no-tty"]
    # stdin is passed on (-i is the default)
    assert project.run("exec", "-T", "web", "cat", input="piped in\n").stdout == "piped in\n"
    hosts = {project.run("exec", "-T", "--index", str(i), "web", "hostname").stdout for i in (1, 2)}
    assert len(hosts) == 2
    missing = project.run("exec", "-T", "--index", "3", "web", "true", check=False)
    assert missing.returncode == 1 and 'service "web" is not running container #3' in missing.stderr
    assert project.run("exec", "nope", "true", check=False).returncode == 1
    project.run("exec", "-d", "web", "sh", "-c", "echo detached > /tmp/marker")
    for _ in range(100):
        if project.run("exec", "-T", "web", "cat", "/tmp/marker", check=False).stdout == "detached\n":
            break
    else:
        pytest.fail("exec -d did not run its command")
    # --privileged: every capability for this process only
    caps = project.run("exec", "-T", "web", "grep", "CapEff", "/proc/self/status").stdout.split()[1]
    all_caps = project.run("exec", "-T", "--privileged", "web", "grep", "CapEff", "/proc/self/status").stdout.split()[1]
    assert int(all_caps, 16) > int(caps, 16) and int(all_caps, 16) & int(caps, 16) == int(caps, 16)
    project.run("stop", "-t", "0")
    stopped = project.run("exec", "-T", "web", "true", check=False)
    assert stopped.returncode == 1 and 'service "web" is not running' in stopped.stderr


def test_exec_with_tty(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d")
    code, screen = _in_pty(project, "exec", "web", "sh", "-c", "test -t 0 && test -t 1 && echo on-a-tty; exit 3")
    assert code == 3 and "on-a-tty" in screen
    code, screen = _in_pty(project, "exec", "-T", "web", "sh", "-c", "test -t 1 || echo no-tty")
    assert code == 0 and "no-tty" in screen
