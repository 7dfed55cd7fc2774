"""``image pull``, ``pull`` and the pulls of ``up``, run as a user runs them, against docker-registry."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Project, busybox_tar, project  # noqa: F401 (fixtures)
from tests.network.conftest import net_env  # noqa: F401 (fixture)
from tests.registry.test_pull_kit import start_registry

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")]


@pytest.fixture
def registry(tmp_path: Path):
    reg = start_registry(tmp_path / "registry")
    yield reg
    reg.stop()


def skopeo_push(archive: Path, dest: str) -> None:
    """An image made here, put into the registry by an independent implementation."""
    subprocess.run(["skopeo", "copy", "-q", f"docker-archive:{archive}:busybox:latest", f"docker://{dest}",
                    "--dest-tls-verify=false"], check=True, capture_output=True, timeout=120)


def test_image_pull_prints_what_docker_prints(project: Project, registry, busybox_tar: Path):  # noqa: F811
    ref = f"{registry.host}/tools/busybox"
    skopeo_push(busybox_tar, f"{ref}:latest")
    first = project.run("image", "pull", ref)
    lines = first.stdout.splitlines()
    assert lines[0] == "Using default tag: latest"
    assert lines[1] == "latest: Pulling from tools/busybox"
    # the project's store has busybox loaded from the same archive: its layers are there (by diff ID)
    layer_lines = [line for line in lines[2:] if not line.startswith(("Digest:", "Status:", ref))]
    assert layer_lines and all(line.endswith(": Already exists") for line in layer_lines)
    assert [line for line in lines if line.startswith("Digest: sha256:")]
    assert lines[-2] == f"Status: Downloaded newer image for {ref}:latest"
    assert lines[-1] == f"{ref}:latest"
    again = project.run("image", "pull", f"{ref}:latest").stdout.splitlines()
    assert again[-2] == f"Status: Image is up to date for {ref}:latest"
    assert all(not line.endswith("Downloading") for line in again)
    quiet = project.run("image", "pull", "-q", f"{ref}:latest")
    assert quiet.stdout == f"{ref}:latest\n"
    ls = project.run("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert f"{ref}:latest" in ls
    missing = project.run("image", "pull", f"{ref}:nope", check=False)
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0
    assert "manifest for" in missing.stderr and "not found" in missing.stderr


def test_up_pulls_an_image_only_the_registry_has(project: Project, registry, busybox_tar: Path):  # noqa: F811
    ref = f"{registry.host}/app/busybox:1"
    skopeo_push(busybox_tar, ref)
    project.write(f"services:\n  web:\n    image: {ref}\n    command: [sleep, '300']\n"
                  f"  never:\n    image: {registry.host}/app/other:1\n    pull_policy: never\n"
                  f"    profiles: [never]\n")
    done = project.run("up", "-d", "--quiet-pull")
    assert "Pulling" not in done.stderr
    assert project.containers()[f"{project.name}-web-1"]["State"]["Running"]
    refused = project.run("--profile", "never", "up", "-d", "never", check=False)
    assert refused.returncode != 0 and "not in the image store" in refused.stderr
    project.run("down", "-t", "0")
    project.run("image", "rm", ref)
    pulled = project.run("create", "--pull", "always")
    assert "web Pulled" in pulled.stderr


def test_pull_command_and_ignore_failures(project: Project, registry, busybox_tar: Path):  # noqa: F811
    ref = f"{registry.host}/app/busybox:2"
    skopeo_push(busybox_tar, ref)
    project.write(f"services:\n  a:\n    image: {ref}\n  b:\n    image: {registry.host}/app/absent:1\n")
    failed = project.run("pull", check=False)
    assert failed.returncode != 0 and "absent:1" in failed.stderr
    ok = project.run("pull", "--ignore-pull-failures")
    assert ok.returncode == 0
    assert "a Pulled" in ok.stderr
    images = project.run("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert ref in images
    again = project.run("pull", "--policy", "missing", "a")
    assert "Pulling" not in again.stderr
