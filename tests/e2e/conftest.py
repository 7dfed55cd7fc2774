"""End-to-end fixtures: ``pycompose`` run as a user runs it, on a private state root.

:class:`Project` writes a compose file and runs CLI commands in a subprocess with this test's
``PYCOMPOSE_ROOT``/``PYCOMPOSE_RUN``, the test address pool and its own cgroup parent. After
the test, the project is taken down and nothing may be left: no container, network link,
firewall rule, mount, process or cgroup (the network suite's ``net_env`` and the container
suite's checks).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.conftest import _pids_mentioning, stop_server
from tests.network.conftest import net_env  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


class Project:
    def __init__(self, directory: Path, env: dict[str, str], name: str) -> None:
        self.dir = directory
        self.env = env
        self.name = name

    def write(self, text: str, filename: str = "compose.yaml") -> Path:
        path = self.dir / filename
        path.write_text(text)
        return path

    def run(self, *args: str, check: bool = True, timeout: float = 120, **kw: object) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "compose", "-p", self.name, *args]
        done = subprocess.run(cmd, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=timeout,
                              **kw)  # type: ignore[call-overload]
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def popen(self, *args: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "compose", "-p", self.name, *args]
        return subprocess.Popen(cmd, cwd=self.dir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def containers(self) -> dict[str, dict]:
        """name -> inspect output of every container of the project."""
        from runtime.api.containers import Containers
        from runtime.state import StateRoot

        api = Containers(StateRoot(Path(self.env["PYCOMPOSE_ROOT"]), Path(self.env["PYCOMPOSE_RUN"])))
        out = {}
        for info in api.list(all=True, labels={"com.docker.compose.project": self.name}):
            out[info.record.name] = api.inspect(info.record.id)
        return out

    def ids(self) -> dict[str, str]:
        return {name: data["Id"] for name, data in self.containers().items()}

    def volumes(self) -> list[str]:
        return [line.strip() for line in self.run("volume", "ls", "-q").stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers import images as test_images

    if not test_images.busybox_available():
        pytest.skip("busybox-static is not installed")
    # busybox, and the same image declaring ``VOLUME /data`` (its content comes from the image)
    with_volume = test_images.busybox_image(["busybox-volume:latest"], extra_config={"Volumes": {"/data": {}}})
    return test_images.write_archive(tmp_path_factory.mktemp("e2e-images") / "busybox.tar",
                                     [test_images.busybox_image(), with_volume])


@pytest.fixture
def project(net_env, tmp_path: Path, busybox_tar: Path) -> Iterator[Project]:  # noqa: F811
    root, run = net_env
    parent = f"pycompose-test-{secrets.token_hex(4)}"
    env = dict(os.environ, PYCOMPOSE_CGROUP_PARENT=parent)
    directory = tmp_path / "proj"
    directory.mkdir()
    proj = Project(directory, env, f"e2e{secrets.token_hex(3)}")
    proj.run("image", "load", "-i", str(busybox_tar))
    yield proj
    from runtime.linux import cgroups
    from runtime.state import StateRoot

    left = proj.containers()
    if (directory / "compose.yaml").exists():
        proj.run("down", "-v", "--remove-orphans", "-t", "0", check=False)
    state = StateRoot(root, run)
    still = proj.containers()
    stop_server(state)
    pids = _pids_mentioning(os.fspath(run))
    for pid in pids:
        os.kill(pid, 9)
    groups = cgroups.leftovers(parent)
    cgroups.remove_parent(parent)
    assert not still, f"down left containers: {sorted(still)} (before: {sorted(left)})"
    assert not pids, f"processes left: {pids}"
    assert not groups, f"cgroups left: {groups}"


def inspect_labels(data: dict) -> dict[str, str]:
    return dict(data["Config"]["Labels"])


__all__ = ["Project", "inspect_labels", "json"]
