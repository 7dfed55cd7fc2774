"""``attach SERVICE`` and ``container attach CONTAINER`` end to end: a terminal joined to a running
container (raw mode, detach keys, re-attach), stdin that outlives its attacher, signals passed on,
the container's exit code, and the refusals."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  shell:
    image: busybox
    command: ["sh"]
    stdin_open: true
    tty: true
  pipe:
    image: busybox
    command: ["sh", "-c", "while read line; do echo got:$$line; done; echo eof"]
    stdin_open: true
  ticker:
    image: busybox
    command: ["sh", "-c", "trap 'echo caught; exit 7' TERM; while :; do echo tick; sleep 0.2; done"]
"""


class Terminal:
    """``pycompose`` with its stdin, stdout and stderr on a pseudo-terminal."""

    def __init__(self, p: Project, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "compose", "-p", p.name, *args], cwd=p.dir, env=p.env,
                                     stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.seen = b""

    def expect(self, text: bytes, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"{text!r} not shown in {timeout} s; the terminal showed {self.seen!r}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the other side is closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"{text!r} not shown before the end; the terminal showed {self.seen!r}")
            self.seen += chunk

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def finish(self, timeout: float = 30) -> int:
        """The exit code, the rest of the output read."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                self.seen += chunk
                if not chunk and self.proc.poll() is not None:
                    break
            elif self.proc.poll() is not None:
                break
        os.close(self.master)
        return self.proc.wait(5)


def _status(p: Project, service: str) -> str:
    return p.containers()[f"{p.name}-{service}-1"]["State"]["Status"]


def _read_until(stream: object, text: str, timeout: float = 30) -> str:
    fd = stream.fileno()  # type: ignore[attr-defined]
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            raise AssertionError(f"{text!r} not read; got {seen!r}")
        seen += chunk
    return seen.decode()


def test_attach_a_terminal_detach_with_keys_and_attach_again(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d", "shell")
    term = Terminal(project, "attach", "shell")
    term.type(b"echo attached-$((40+2))\r")
    term.expect(b"attached-42")
    term.type(b"test -t 0 && echo on-a-tty\r")
    term.expect(b"on-a-tty")
    term.type(b"\x10\x11")  # ctrl-p ctrl-q
    assert term.finish() == 0
    assert b"read escape sequence" in term.seen
    assert _status(project, "shell") == "running"
    # again, by container name, with other keys: ctrl-p alone now reaches the shell
    term = Terminal(project, "container", "attach", "--detach-keys", "ctrl-x", f"{project.name}-shell-1")
    term.type(b"echo again\x10\r")  # a ctrl-p typed into the line: not held back, not a detach
    term.expect(b"again")
    term.type(b"\x18")
    assert term.finish() == 0
    assert _status(project, "shell") == "running"
    # the shell's own exit ends the attach with its code
    term = Terminal(project, "attach", "shell")
    term.type(b"exit 4\r")
    assert term.finish() == 4
    assert _status(project, "shell") == "exited"


def test_stdin_stays_open_for_the_next_attacher(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d", "pipe")
    cmd = [sys.executable, "-m", "compose", "-p", project.name, "attach", "--sig-proxy=false", "pipe"]
    first = subprocess.Popen(cmd, cwd=project.dir, env=project.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write(b"one\n")
    first.stdin.flush()
    assert "got:one" in _read_until(first.stdout, "got:one")
    first.stdin.close()  # this attacher's end of input is not the container's
    first.send_signal(signal.SIGTERM)  # no proxy: the attacher goes, the container stays
    first.wait(30)
    first.stdout.close()
    assert _status(project, "pipe") == "running"
    cmd = [sys.executable, "-m", "compose", "container", "attach", f"{project.name}-pipe-1"]
    second = subprocess.Popen(cmd, cwd=project.dir, env=project.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert second.stdin is not None and second.stdout is not None
    second.stdin.write(b"two\n")
    second.stdin.flush()
    out = _read_until(second.stdout, "got:two")
    assert "got:one" not in out  # only new output: nothing of the past
    second.send_signal(signal.SIGKILL)
    second.wait(30)
    second.stdin.close()
    second.stdout.close()
    # --no-stdin: output only; what it is given goes nowhere
    cmd = [sys.executable, "-m", "compose", "-p", project.name, "attach", "--no-stdin", "--sig-proxy=false", "pipe"]
    third = subprocess.Popen(cmd, cwd=project.dir, env=project.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert third.stdin is not None and third.stdout is not None
    third.stdin.write(b"three\n")
    third.stdin.close()
    time.sleep(1)
    done = project.run("exec", "-T", "pipe", "true")  # still up, and still reading
    assert done.returncode == 0
    third.send_signal(signal.SIGTERM)
    third.wait(30)
    assert b"got:three" not in third.stdout.read()
    third.stdout.close()


def test_signals_are_passed_on_and_the_exit_code_is_the_containers(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d", "ticker")
    cmd = [sys.executable, "-m", "compose", "-p", project.name, "attach", "ticker"]
    proc = subprocess.Popen(cmd, cwd=project.dir, env=project.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    _read_until(proc.stdout, "tick")  # attached: its handlers are set before output flows
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 7
    assert "caught" in proc.stdout.read().decode()
    proc.stdout.close()
    proc.stderr.close()
    assert _status(project, "ticker") == "exited"
    stopped = project.run("container", "attach", f"{project.name}-ticker-1", check=False)
    assert stopped.returncode == 1
    assert stopped.stderr.strip() == "pycompose: You cannot attach to a stopped container, start it first"
    service = project.run("attach", "ticker", check=False)
    assert service.returncode == 1 and 'service "ticker" is not running' in service.stderr
    bad = project.run("attach", "--detach-keys", "ctrl-1", "ticker", check=False)
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1 and "invalid detach keys 'ctrl-1'" in bad.stderr
