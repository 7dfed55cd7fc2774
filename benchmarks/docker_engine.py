"""A private Docker engine for side-by-side benchmarks (never used by pycompose or its tests).

    with DockerEngine(work) as docker:
        docker.cli("run", "--rm", "busybox", "true")
        docker.compose("-f", "compose.yaml", "-p", "bench", "up", "-d")

Debian's ``docker.io`` (Engine 20.10) is started by the benchmark itself, with everything of
its own under ``work``: data root, exec root (and the containerd it manages), socket, PID file.
It leaves the host as it found it:

* ``--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false``: no firewall rule
  and no sysctl is touched; published ports go through Docker's userland proxy on loopback;
* ``--bridge=none``: no ``docker0``; compose networks get bridges from the private pool
  ``172.30.192.0/18`` (``/24`` each), inside the 172.30.0.0/16 pool the tests use, and are
  removed by ``down``;
* ``--cgroup-parent``: containers' cgroups live under ``pycompose-bench-docker``, removed
  at the end;
* the engine is stopped by its PID (SIGTERM, then SIGKILL after a grace period), its mounts
  are unmounted and ``work`` is deleted by the caller.

Docker Compose is the v2.40.3 binary of the test oracle (``tests/oracle.py``), talking to this
engine through ``DOCKER_HOST``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POOL = "172.30.192.0/18"
CGROUP_PARENT = "pycompose-bench-docker"


class DockerUnavailable(RuntimeError):
    """dockerd, the docker CLI or Docker Compose is missing or does not start."""


class DockerEngine:
    def __init__(self, work: Path) -> None:
        self.work = work / "docker"
        self.sock = self.work / "docker.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}", DOCKER_CONFIG=str(self.work / "config"),
                        DOCKER_CLI_HINTS="false", COMPOSE_PROGRESS="quiet")
        self.compose_binary: Path | None = None

    def __enter__(self) -> DockerEngine:
        dockerd = shutil.which("dockerd")
        if dockerd is None or shutil.which("docker") is None:
            raise DockerUnavailable("dockerd or docker not installed (apt-get install docker.io)")
        sys.path.insert(0, str(REPO / "tests"))
        from oracle import install

        self.compose_binary = install()
        self.work.mkdir(parents=True, exist_ok=True)
        log = open(self.work / "dockerd.log", "wb")
        self.proc = subprocess.Popen(
            [dockerd, "--data-root", str(self.work / "data"), "--exec-root", str(self.work / "exec"),
             "--pidfile", str(self.work / "dockerd.pid"), "-H", f"unix://{self.sock}",
             "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
             "--default-address-pool", f"base={POOL},size=24", "--cgroup-parent", CGROUP_PARENT,
             "--storage-driver", "overlay2", "--log-level", "error", "--userland-proxy=true"],
            stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DockerUnavailable(f"dockerd exited: {(self.work / 'dockerd.log').read_text()[-500:]}")
            if self.sock.exists() and self.cli("version", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise DockerUnavailable("dockerd did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            ids = self.cli("ps", "-aq", check=False).stdout.split()
            if ids:
                self.cli("rm", "-f", *ids, check=False)
            self.cli("network", "prune", "-f", check=False)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        unmount_under(self.work)
        for cg in bench_cgroups():
            _rmdir_tree(cg)

    def cli(self, *args: str, check: bool = True, input: bytes | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=input is None,
                              input=input, check=False)
        if check and done.returncode != 0:
            raise DockerUnavailable(f"docker {' '.join(args)}: {str(done.stderr).strip()[-400:]}")
        return done

    def compose_cmd(self, *args: str) -> list[str]:
        assert self.compose_binary is not None
        return [str(self.compose_binary), *args]

    def import_rootfs(self, tar: Path, name: str, cmd: str = "sh") -> None:
        """Docker refuses the test archive's hard-linked applets on ``load``: import the flat files."""
        self.cli("import", "--change", f'CMD ["{cmd}"]', str(tar), name)

    def processes(self) -> list[int]:
        """dockerd, containerd and the shims (which re-parent themselves away from the engine, but
        name its exec root on their command line): the engine's own processes, not the containers'."""
        if self.proc is None:
            return []
        needle = str(self.work).encode()
        out = {self.proc.pid}
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if needle in f.read():
                        out.add(int(entry))
            except (OSError, ValueError):
                continue
        return sorted(out)


def unmount_under(root: Path) -> None:
    """Detach every mount at or below ``root``, deepest first."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == str(root) or point.startswith(f"{root}/"):
                points.append(point)
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def bench_cgroups() -> list[Path]:
    """Every cgroup named for the benchmark engine's parent. A relative ``--cgroup-parent`` is
    placed below dockerd's own cgroup of each controller, which on a machine that puts its
    processes in a nested cgroup (``memory:/process_api/<id>``) is not the controller's root:
    look there too, up to three levels down, so that an earlier run's leftovers go as well."""
    found: list[Path] = []
    for controller in Path("/sys/fs/cgroup").iterdir():
        for depth in ("", "*/", "*/*/", "*/*/*/"):
            found += controller.glob(f"{depth}{CGROUP_PARENT}*")
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def _rmdir_tree(path: Path) -> None:
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            child.rmdir()
        except OSError:
            pass
    try:
        path.rmdir()
    except OSError:
        pass
