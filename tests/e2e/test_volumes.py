"""Volumes, binds, tmpfs, secrets and configs of ``up``, and ``pycompose volume``, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.integration


def sh(p: Project, container: str, script: str) -> str:
    return p.run("container", "exec", container, "sh", "-c", script).stdout


def mounts_of(p: Project, name: str) -> dict[str, str]:
    """destination -> host source, from the container's record."""
    from runtime.api.containers import Containers
    from runtime.state import StateRoot

    api = Containers(StateRoot(Path(p.env["PYCOMPOSE_ROOT"]), Path(p.env["PYCOMPOSE_RUN"])))
    return {m.destination: m.source for m in api.get(name).record.spec.mounts}


def test_anonymous_volumes_including_image_volumes_survive_recreation(project: Project) -> None:
    template = """
services:
  s:
    image: busybox-volume
    command: ["sleep", "1000"]
    environment: {{V: "{v}"}}
    volumes: ["/cache"]
"""
    project.write(template.format(v=1))
    project.run("up", "-d")
    name = f"{project.name}-s-1"
    # the image's VOLUME /data is an anonymous volume filled from the image
    assert "new.txt" in sh(project, name, "ls /data")
    sh(project, name, "echo 1 > /cache/c; echo 2 > /data/d")
    before = mounts_of(project, name)
    project.write(template.format(v=2))
    project.run("up", "-d")
    after = mounts_of(project, name)
    assert after["/cache"] == before["/cache"] and after["/data"] == before["/data"]
    assert sh(project, name, "cat /cache/c /data/d").split() == ["1", "2"]
    anonymous = [v for v in project.volumes() if len(v) == 64]
    assert len(anonymous) == 2
    project.run("down", "-v")
    assert not [v for v in project.volumes() if v in anonymous]


def test_binds_tmpfs_and_nocopy(project: Project, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "in.txt").write_text("from host")
    created = tmp_path / "made" / "here"
    project.write(f"""
services:
  s:
    image: busybox
    command: ["sleep", "1000"]
    volumes:
      - {host}:/h:ro
      - {created}:/c
      - type: volume
        source: empty
        target: /data
        volume: {{nocopy: true}}
      - type: tmpfs
        target: /t
        tmpfs: {{size: 1048576}}
    tmpfs: ["/run/x:size=2m,mode=700"]
volumes:
  empty: {{}}
""")
    project.run("up", "-d")
    name = f"{project.name}-s-1"
    assert sh(project, name, "cat /h/in.txt") == "from host"
    assert "Read-only" in project.run("container", "exec", name, "touch", "/h/new", check=False).stderr or \
        not (host / "new").exists()
    assert created.is_dir()  # create_host_path, as the short syntax implies
    sh(project, name, "echo back > /c/f")
    assert (created / "f").read_text() == "back\n"
    assert sh(project, name, "ls -A /data") == ""  # nocopy: the image's /data content is not copied
    mounts = sh(project, name, "cat /proc/mounts")
    assert any(" /t tmpfs " in line and "size=1024k" in line for line in mounts.splitlines())
    assert any(" /run/x tmpfs " in line and "mode=700" in line for line in mounts.splitlines())


def test_secrets_and_configs_from_file_environment_and_content(project: Project) -> None:
    (project.dir / "secret.txt").write_text("from file")
    project.env["CONF_VALUE"] = "from env"
    project.env["SECRET_VALUE"] = "secret from env"
    project.write("""
services:
  s:
    image: busybox
    command: ["sleep", "1000"]
    secrets:
      - db_password
      - source: inline
        target: custom
        uid: "1000"
        gid: "1001"
        mode: 0400
    configs:
      - source: conf
        target: /etc/app.conf
      - inline
secrets:
  db_password: {file: ./secret.txt}
  inline: {environment: SECRET_VALUE}
configs:
  conf: {environment: CONF_VALUE}
  inline: {content: "inline text"}
""")
    project.run("up", "-d")
    name = f"{project.name}-s-1"
    assert sh(project, name, "cat /run/secrets/db_password") == "from file"
    assert sh(project, name, "cat /run/secrets/custom") == "secret from env"
    assert sh(project, name, "cat /inline") == "inline text"
    assert sh(project, name, "stat -c '%u %g %a' /run/secrets/custom").strip() == "1000 1001 400"
    assert sh(project, name, "cat /etc/app.conf") == "from env"


def test_local_driver_options_and_external_volumes(project: Project, tmp_path: Path) -> None:
    device = tmp_path / "device"
    device.mkdir()
    project.run("volume", "create", "--label", "team=a", "shared-ext")
    project.write(f"""
services:
  s:
    image: busybox
    command: ["sleep", "1000"]
    volumes: ["bound:/b", "scratch:/t", "ext:/e"]
volumes:
  bound:
    driver_opts: {{type: none, o: bind, device: {device}}}
  scratch:
    driver_opts: {{type: tmpfs, device: tmpfs, o: "size=1m"}}
    labels: {{purpose: scratch}}
  ext:
    external: true
    name: shared-ext
""")
    project.run("up", "-d")
    name = f"{project.name}-s-1"
    sh(project, name, "echo x > /b/f; echo y > /e/f")
    assert (device / "f").read_text() == "x\n"
    assert any(" /t tmpfs " in line for line in sh(project, name, "cat /proc/mounts").splitlines())
    info = json.loads(project.run("volume", "inspect", f"{project.name}_scratch").stdout)[0]
    assert info["Labels"]["purpose"] == "scratch"
    assert info["Labels"]["com.docker.compose.project"] == project.name
    assert info["Labels"]["com.docker.compose.volume"] == "scratch"
    assert info["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    assert project.run("volume", "rm", "shared-ext", check=False).returncode == 1  # in use
    project.run("down", "-v")
    assert "shared-ext" in project.volumes()  # never removes an external volume
    project.run("volume", "rm", "shared-ext")


def test_missing_external_volume_fails_before_creating_containers(project: Project) -> None:
    project.write("""
services:
  s:
    image: busybox
    command: ["sleep", "1000"]
    volumes: ["ext:/e"]
volumes:
  ext: {external: true, name: nowhere}
""")
    done = project.run("up", "-d", check=False)
    assert done.returncode == 1 and "nowhere" in done.stderr
    assert not project.containers()


def test_volume_commands(project: Project) -> None:
    project.run("volume", "create", "--label", "a=b", "one")
    project.run("volume", "create", "two")
    assert project.run("volume", "ls", "-q", "--filter", "label=a").stdout.split() == ["one"]
    listing = project.run("volume", "ls").stdout.splitlines()
    assert listing[0].split() == ["DRIVER", "VOLUME", "NAME"] and "local           one" in listing
    info = json.loads(project.run("volume", "inspect", "one").stdout)[0]
    assert info["Name"] == "one" and info["Driver"] == "local" and info["Mountpoint"].endswith("/one/_data")
    anon = project.run("volume", "create").stdout.strip()
    assert len(anon) == 64
    pruned = project.run("volume", "prune", "-f").stdout
    assert "Total reclaimed space" in pruned
    pruned = project.run("volume", "prune", "-f", "-a").stdout
    assert "one" in pruned and "two" in pruned
    assert project.volumes() == []
    done = project.run("volume", "rm", "nosuch", check=False)
    assert done.returncode == 1 and "no such volume" in done.stderr
