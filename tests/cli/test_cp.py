"""``cp`` end to end: both ways, files and directories, ``dir/.``, ownership, tar streams, and
paths resolved inside the container (a symlink to ``/`` is the container's root, not the host's)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from compose.cli.commands.cp import split_target, top_name
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

APP = """
services:
  box:
    image: busybox
    command:
      - sh
      - -c
      - mkdir -p /srv/tree/sub; echo inside > /srv/tree/sub/f.txt; ln -s / /srv/escape; exec sleep 1000
"""


def _sh(p: Project, script: str) -> str:
    return p.run("exec", "-T", "box", "sh", "-c", script).stdout


@pytest.mark.integration
def test_cp_both_ways(project: Project, tmp_path: Path) -> None:
    project.write(APP)
    project.run("up", "-d")
    for _ in range(100):
        if _sh(project, "test -L /srv/escape && echo ok") == "ok\n":
            break
    host = tmp_path / "host"
    host.mkdir()
    (host / "one.txt").write_text("one\n")
    os.chown(host / "one.txt", 1234, 1234)
    (host / "dir").mkdir()
    (host / "dir" / "two.txt").write_text("two\n")

    # into the container: a file, as root unless -a; a directory by name; a directory's contents
    project.run("cp", str(host / "one.txt"), "box:/tmp/")
    assert _sh(project, "cat /tmp/one.txt; stat -c %u:%g /tmp/one.txt") == "one\n0:0\n"
    project.run("cp", "-a", str(host / "one.txt"), "box:/tmp/kept.txt")
    assert _sh(project, "stat -c %u:%g /tmp/kept.txt") == "1234:1234\n"
    project.run("cp", str(host / "dir"), "box:/tmp")
    project.run("cp", str(host / "dir") + "/.", "box:/tmp/flat")
    assert _sh(project, "cat /tmp/dir/two.txt /tmp/flat/two.txt") == "two\ntwo\n"
    # a symlink to / inside the container leads to the container's root, never the host's
    project.run("cp", str(host / "one.txt"), "box:/srv/escape/tmp/through-link.txt")
    assert _sh(project, "cat /tmp/through-link.txt") == "one\n"
    assert not Path("/tmp/through-link.txt").exists()

    # out of the container: a file, a directory (new name), into an existing directory
    out = tmp_path / "out"
    out.mkdir()
    project.run("cp", "box:/srv/tree/sub/f.txt", str(out / "copy.txt"))
    assert (out / "copy.txt").read_text() == "inside\n"
    project.run("cp", "box:/srv/tree", str(out / "tree2"))
    assert (out / "tree2" / "sub" / "f.txt").read_text() == "inside\n"
    project.run("cp", "box:/srv/tree", str(out))
    assert (out / "tree" / "sub" / "f.txt").read_text() == "inside\n"
    project.run("cp", "box:/srv/escape/etc/motd", str(out))
    assert (out / "motd").read_text() == "hello\n"  # busybox's /etc/motd, not the host's

    # tar streams on stdin and stdout
    stream = subprocess.run([sys.executable, "-m", "compose", "-p", project.name, "cp", "box:/srv/tree", "-"],
                            cwd=project.dir, env=project.env, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(stream)) as tar:
        assert "tree/sub/f.txt" in tar.getnames()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"streamed\n"
        info = tarfile.TarInfo("streamed.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    subprocess.run([sys.executable, "-m", "compose", "-p", project.name, "cp", "-", "box:/tmp"], cwd=project.dir,
                   env=project.env, input=buf.getvalue(), check=True, capture_output=True)
    assert _sh(project, "cat /tmp/streamed.txt") == "streamed\n"

    # a stopped container's files can be copied too
    project.run("stop", "-t", "0")
    project.run("cp", "box:/tmp/streamed.txt", str(out / "after-stop.txt"))
    assert (out / "after-stop.txt").read_text() == "streamed\n"

    missing = project.run("cp", "box:/nope", str(out), check=False)
    assert missing.returncode == 1 and "nope" in missing.stderr
    both = project.run("cp", str(host), str(out), check=False)
    assert both.returncode == 1


def test_split_target_and_top_name() -> None:
    assert split_target("web:/etc/hosts") == ("web", "/etc/hosts")
    assert split_target("./web:x") == (None, "./web:x")
    assert split_target("/abs") == (None, "/abs")
    assert split_target("-") == (None, "-")
    assert top_name("/a/b/") == "b" and top_name("/a/b/.") == "." and top_name("f.txt") == "f.txt"
