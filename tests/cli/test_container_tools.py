"""``container cp``, ``container port`` and ``container stats`` end to end on real containers:
Docker's argument forms, output and errors for unknown containers."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  box:
    image: busybox
    command: ["sh", "-c", "mkdir -p /srv/tree; echo inside > /srv/tree/f.txt; exec sleep 1000"]
    ports: ["127.0.0.1::80", "127.0.0.1::53/udp"]
"""


def _up(project: Project) -> tuple[str, str]:
    project.write(APP)
    project.run("up", "-d")
    cid = project.run("ps", "-q", "box").stdout.strip()
    name = json.loads(project.run("container", "inspect", cid).stdout)[0]["Name"].lstrip("/")
    for _ in range(100):
        if project.run("exec", "-T", "box", "cat", "/srv/tree/f.txt", check=False).stdout == "inside\n":
            break
    return cid, name


def test_container_cp_both_ways_and_tar_streams(project: Project, tmp_path: Path) -> None:
    cid, name = _up(project)
    host = tmp_path / "host.txt"
    host.write_text("from host\n")
    project.run("container", "cp", str(host), f"{name}:/tmp/in.txt")
    assert project.run("exec", "-T", "box", "cat", "/tmp/in.txt").stdout == "from host\n"
    project.run("container", "cp", f"{cid[:12]}:/srv/tree", str(tmp_path / "out"))
    assert (tmp_path / "out" / "f.txt").read_text() == "inside\n"
    stream = subprocess.run([sys.executable, "-m", "compose", "container", "cp", f"{name}:/srv/tree", "-"],
                            cwd=project.dir, env=project.env, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(stream)) as tar:
        assert "tree/f.txt" in tar.getnames()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("streamed.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"tar\n"))
    subprocess.run([sys.executable, "-m", "compose", "container", "cp", "-", f"{name}:/tmp"], cwd=project.dir,
                   env=project.env, input=buf.getvalue(), check=True, capture_output=True)
    assert project.run("exec", "-T", "box", "cat", "/tmp/streamed.txt").stdout == "tar\n"
    unknown = project.run("container", "cp", "nosuch:/etc/hosts", str(tmp_path), check=False)
    assert unknown.returncode == 1 and "No such container: nosuch" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    both = project.run("container", "cp", str(host), str(tmp_path / "x"), check=False)
    assert both.returncode == 1 and "must specify at least one container source" in both.stderr


def test_container_port_lists_and_looks_up(project: Project) -> None:
    cid, name = _up(project)
    lines = project.run("container", "port", name).stdout.splitlines()
    assert [line.split(" -> ")[0] for line in lines] == ["53/udp", "80/tcp"]
    tcp = lines[1].split(" -> ")[1]
    assert tcp.startswith("127.0.0.1:")
    assert project.run("container", "port", name, "80").stdout.strip() == tcp
    assert project.run("container", "port", cid, "80/tcp").stdout.strip() == tcp
    assert project.run("container", "port", name, "53/udp").stdout.strip() == lines[0].split(" -> ")[1]
    missing = project.run("container", "port", name, "81", check=False)
    assert missing.returncode == 1
    assert f"No public port '81/tcp' published for {name}" in missing.stderr
    unknown = project.run("container", "port", "nosuch", check=False)
    assert unknown.returncode == 1 and "No such container: nosuch" in unknown.stderr


def test_container_stats_no_stream(project: Project) -> None:
    cid, name = _up(project)
    lines = project.run("container", "stats", "--no-stream").stdout.splitlines()
    assert lines[0].split()[:3] == ["CONTAINER", "ID", "NAME"] and any(name in line for line in lines[1:])
    rows = [json.loads(line) for line in project.run("container", "stats", "--no-stream", "--no-trunc",
                                                      "--format", "json", name).stdout.splitlines()]
    assert len(rows) == 1 and rows[0]["Name"] == name and rows[0]["ID"] == cid and rows[0]["PIDs"] == "1"
    assert project.run("container", "stats", "--no-stream", "--format", "{{.Name}}: {{.PIDs}}",
                       cid).stdout == f"{name}: 1\n"
    unknown = project.run("container", "stats", "--no-stream", "nosuch", check=False)
    assert unknown.returncode == 1 and "No such container: nosuch" in unknown.stderr
    project.run("stop", "-t", "0")
    assert name not in project.run("container", "stats", "--no-stream").stdout
    assert name in project.run("container", "stats", "--no-stream", "-a").stdout
