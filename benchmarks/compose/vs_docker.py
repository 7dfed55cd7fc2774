"""pycompose next to Docker Compose v2.40 on Debian's Docker Engine 20.10, in one run.

    python benchmarks/compose/vs_docker.py [--runs 5] [--many 30] [--only up3,down30,...]

Every figure of the table comes from this one process: each round runs the pycompose command
and then the same command of Docker Compose on the same compose file (a private engine started
by :mod:`benchmarks.docker_engine`), so that both share the machine's load; the ratio is of the
medians. The image is the tests' busybox, loaded into pycompose from its archive and imported
into Docker from the same files. Rows (each a whole command, as a user types it):

* ``up3``: cold ``up -d`` of db <- api <- web (PID 1 traps TERM), ``noop``: ``up -d`` again,
  ``down3``: ``down`` of the three;
* ``up30`` / ``down30``: cold ``up -d`` and ``down`` of 30 independent services, PID 1 trapping
  TERM as above (so that the stop path is measured, not a grace period);
* ``memory``: what stays running with 30 containers up: PSS of pycompose's supervisor, shims
  and DNS resolver (and the link helper while it runs: ``memory``; without it, as after its idle
  exit 10 s after the last link change: ``memory_no_helper``), against dockerd + containerd +
  the shims;
* ``logs``: ``logs`` of a service that printed 50 MB in 100-byte lines (output to a pipe);
  the two outputs are compared byte for byte;
* ``run``: ``container run --rm busybox true`` against ``docker run --rm busybox true``.

Needs root, ``docker.io`` installed and a quiet machine. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

THREE = """
services:
  db:
    image: busybox
    command: {cmd}
  api:
    image: busybox
    command: {cmd}
    depends_on: [db]
  web:
    image: busybox
    command: {cmd}
    depends_on: [api]
"""
TRAP = '["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 0.1; done"]'
AIMS = {"up3": 0.25, "noop": 0.5, "up30": 0.25, "down30": 0.25, "down3": None, "run": None, "memory": None,
        "memory_no_helper": None, "logs": 0.5}


class Side:
    """One tool's way of running a compose command; returns the wall time."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env

    def __call__(self, *args: str) -> float:
        start = time.perf_counter()
        done = subprocess.run([*self.argv, *args], env=self.env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{self.name} {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        return elapsed


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total


def helper_pid(run_dir: Path, socket: str) -> int | None:
    """The PID of the run root's helper answering on ``socket`` (``supervisor.sock``,
    ``links.sock``), if one runs; shims forked from the server share its command line, so a
    helper is told by its answer, not by its name."""
    from runtime import daemons

    reply = daemons.ping(run_dir / socket)
    return int(str(reply["pid"])) if reply else None


def pycompose_processes(run_dir: Path) -> list[int]:
    """The supervisor server, shims and DNS resolver: processes naming our run root (not the containers')."""
    needle = str(run_dir).encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{entry}/status") as f:
                nspid = next((line.split()[1:] for line in f if line.startswith("NSpid:")), [])
        except OSError:
            continue
        if len(nspid) > 1:  # a container's process
            continue
        if needle in cmdline or needle in environ:
            out.append(int(entry))
    return out


LOGS = """
services:
  log:
    image: busybox
    command: ["sh", "-c", "seq 1 500000 | sed 's/$$/ {pad}/'"]
""".format(pad="x" * 92)


def logs_row(work: Path, sides: dict[str, Side], add, runs: int) -> None:  # type: ignore[no-untyped-def]
    """50 MB of logs through each tool's ``logs``; the two outputs must be the same bytes."""
    import hashlib

    (work / "logs.yaml").write_text(LOGS)
    f = ("-f", str(work / "logs.yaml"))
    digests = {}
    for run in sides.values():
        run(*f, "up", "-d")
        run(*f, "wait", "log")
    for _ in range(runs):
        for name, run in sides.items():
            start = time.perf_counter()
            out = subprocess.run([*run.argv, *f, "logs", "--no-color"], env=run.env, capture_output=True,
                                 check=True).stdout
            add("logs", name, time.perf_counter() - start)
            digests[name] = (len(out), hashlib.sha256(out).hexdigest()[:12])
    for run in sides.values():
        run(*f, "down")
    same = "identical" if len(set(digests.values())) == 1 else "DIFFERENT"
    print(f"logs output: {digests} ({same})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--many", type=int, default=30)
    parser.add_argument("--only", default=",".join(AIMS))
    args = parser.parse_args()
    only = set(args.only.split(","))
    from docker_engine import DockerEngine
    from helpers import images as test_images

    work = Path(tempfile.mkdtemp(prefix="pycompose-vs-docker-"))
    env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
               PYCOMPOSE_CGROUP_PARENT="pycompose-bench", PYCOMPOSE_ADDRESS_POOLS="base=172.30.128.0/18,size=24",
               PYCOMPOSE_NETWORK_CONFIG=str(work / "absent.json"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    archive = test_images.write_archive(work / "busybox.tar", [test_images.busybox_image()])
    subprocess.run([sys.executable, "-m", "compose", "image", "load", "-i", str(archive)], env=env, check=True,
                   capture_output=True)
    flat = work / "flat.tar"
    pc = [sys.executable, "-m", "compose"]
    cid = subprocess.run([*pc, "container", "create", "busybox", "true"], env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    subprocess.run([*pc, "container", "export", "-o", str(flat), cid], env=env, check=True, capture_output=True)
    subprocess.run([*pc, "container", "rm", cid], env=env, check=True, capture_output=True)
    results: dict[str, dict[str, list[float]]] = {}

    def add(row: str, side: str, value: float) -> None:
        results.setdefault(row, {}).setdefault(side, []).append(value)

    print(f"machine: {os.cpu_count()} cpus, load {os.getloadavg()[0]:.2f} at start")
    try:
        with DockerEngine(work) as docker:
            docker.import_rootfs(flat, "busybox:latest")
            (work / "three.yaml").write_text(THREE.format(cmd=TRAP))
            (work / "many.yaml").write_text("services:\n" + "".join(
                f"  s{i}:\n    image: busybox\n    command: {TRAP}\n"
                for i in range(args.many)))
            sides = {
                "pycompose": Side("pycompose", [sys.executable, "-m", "compose", "-p", "bench"], env),
                "docker": Side("docker compose", docker.compose_cmd("-p", "bench"), docker.env),
            }
            for _ in range(args.runs):
                for name, run in sides.items():
                    three = ("-f", str(work / "three.yaml"))
                    if {"up3", "noop", "down3"} & only:
                        add("up3", name, run(*three, "up", "-d"))
                        add("noop", name, run(*three, "up", "-d"))
                        add("down3", name, run(*three, "down"))
            for i in range(max(1, (args.runs + 1) // 2)):
                for name, run in sides.items():
                    if not {"up30", "down30", "memory"} & only:
                        continue
                    many = ("-f", str(work / "many.yaml"))
                    add("up30", name, run(*many, "up", "-d"))
                    if i == 0 and "memory" in only:
                        time.sleep(1)
                        pids = pycompose_processes(work / "run") if name == "pycompose" else docker.processes()
                        add("memory", name, pss_kib(pids) / 1024)
                        if name == "pycompose":  # the link helper exits 10 s after its last change
                            helper = helper_pid(work / "run", "links.sock")
                            add("memory_no_helper", name, pss_kib([p for p in pids if p != helper]) / 1024)
                    add("down30", name, run(*many, "down"))
            if "logs" in only:
                logs_row(work, sides, add, args.runs)
            if "run" in only:
                for _ in range(args.runs):
                    add("run", "pycompose", Side("pycompose", [sys.executable, "-m", "compose"], env)(
                        "container", "run", "--rm", "busybox", "true"))
                    add("run", "docker", Side("docker", ["docker"], docker.env)(
                        "run", "--rm", "--network", "none", "busybox", "true"))
    finally:
        for file in ("three.yaml", "many.yaml", "logs.yaml"):
            if (work / file).exists():
                subprocess.run([sys.executable, "-m", "compose", "-f", str(work / file), "-p", "bench", "down", "-t",
                                "0"], env=env, capture_output=True, check=False)
        from runtime.state import StateRoot
        from tests.container.conftest import stop_server

        stop_server(StateRoot(work / "root", work / "run"))
        from runtime.linux import cgroups

        cgroups.remove_parent("pycompose-bench")
        from docker_engine import unmount_under

        unmount_under(work)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    if "memory_no_helper" in results and "memory" in results:
        results["memory_no_helper"]["docker"] = results["memory"]["docker"]
    print(f"load {os.getloadavg()[0]:.2f} at end; medians of {args.runs} rounds (memory: one sample)\n")
    print("| row | Docker | pycompose | ratio | aim |")
    print("|---|---:|---:|---:|---|")
    for row, sides_ in results.items():
        d, p = statistics.median(sides_["docker"]), statistics.median(sides_["pycompose"])
        unit = "MiB" if row.startswith("memory") else "s"
        aim = AIMS.get(row)
        verdict = "" if aim is None else (f"≤ {aim} " + ("met" if p / d <= aim else "**not met**"))
        print(f"| {row} | {d:.3f} {unit} | {p:.3f} {unit} | {p / d:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
