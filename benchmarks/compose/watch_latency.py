"""The dev mode's latency: from a file write on the host to the new content in the container.

    python benchmarks/compose/watch_latency.py [--edits 50] [--files 1000] [--no-docker]

For pycompose's ``watch`` and, in the same run, ``docker compose watch`` on a private Docker
engine (:mod:`benchmarks.docker_engine`), on the same compose file (a busybox service with a
``sync`` rule): each edit writes a new value into a watched file, and the time until that value
is readable in the container's file system (polled every millisecond through the container's
merged root filesystem on the host: the same file system the container reads) is recorded;
p50 and p95 over ``--edits`` edits. Then ``--files`` new files written at once: the time until
the last one is there and how many never arrived. Then the watch process's own CPU while idle
for 10 s. Needs root; Docker's side needs ``docker.io``. Run on a quiet machine.
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

COMPOSE = """
services:
  app:
    image: busybox
    command: ["sleep", "100000"]
    develop:
      watch:
        - path: ./src
          target: /src
          action: sync
"""


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(path: Path, content: bytes, deadline: float = 30) -> float:
    start = time.perf_counter()
    end = start + deadline
    while time.perf_counter() < end:
        try:
            if path.read_bytes() == content:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.001)
    return float("inf")


def measure(name: str, work: Path, merged: Path, watcher: subprocess.Popen[bytes], edits: int, files: int) -> dict:
    src = work / "src"
    out: dict = {"name": name}
    lat = []
    time.sleep(2)  # let the watcher settle
    for i in range(edits):
        value = f"edit {i} {time.time()}\n".encode()
        start = time.perf_counter()
        (src / "file.txt").write_bytes(value)
        took = wait_for(merged / "src" / "file.txt", value)
        lat.append(took if took == float("inf") else time.perf_counter() - start)
        time.sleep(0.2)
    finite = sorted(x for x in lat if x != float("inf"))
    out["p50_ms"] = statistics.median(finite) * 1000 if finite else float("nan")
    out["p95_ms"] = finite[int(len(finite) * 0.95) - 1] * 1000 if finite else float("nan")
    out["lost_edits"] = len(lat) - len(finite)
    batch = src / "batch"
    batch.mkdir()
    start = time.perf_counter()
    for i in range(files):
        (batch / f"f{i:04d}.txt").write_text(f"{i}\n")
    deadline = start + 60
    while time.perf_counter() < deadline:
        there = merged / "src" / "batch"
        if there.is_dir() and len(os.listdir(there)) >= files:
            break
        time.sleep(0.005)
    out["batch_s"] = time.perf_counter() - start
    there = merged / "src" / "batch"
    out["batch_missing"] = files - (len(os.listdir(there)) if there.is_dir() else 0)
    time.sleep(2)
    before = cpu_seconds(watcher.pid)
    time.sleep(10)
    out["idle_cpu_pct"] = (cpu_seconds(watcher.pid) - before) / 10 * 100
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    from helpers import images as test_images

    base = Path(tempfile.mkdtemp(prefix="pycompose-watch-bench-"))
    env = dict(os.environ, PYCOMPOSE_ROOT=str(base / "root"), PYCOMPOSE_RUN=str(base / "run"),
               PYCOMPOSE_CGROUP_PARENT="pycompose-bench", PYCOMPOSE_ADDRESS_POOLS="base=172.30.128.0/18,size=24",
               PYCOMPOSE_NETWORK_CONFIG=str(base / "absent.json"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    pc = [sys.executable, "-m", "compose"]
    archive = test_images.write_archive(base / "busybox.tar", [test_images.busybox_image()])
    subprocess.run([*pc, "image", "load", "-i", str(archive)], env=env, check=True, capture_output=True)
    results = []
    try:
        work = base / "pc"
        (work / "src").mkdir(parents=True)
        (work / "compose.yaml").write_text(COMPOSE)
        project = [*pc, "-f", str(work / "compose.yaml"), "-p", "wbench"]
        subprocess.run([*project, "up", "-d"], env=env, check=True, capture_output=True)
        watcher = subprocess.Popen([*project, "watch", "--no-up"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        merged = base / "run" / "rootfs" / subprocess.run(
            [*project, "ps", "-q"], env=env, check=True, capture_output=True, text=True).stdout.split()[0]
        try:
            results.append(measure("pycompose watch", work, merged, watcher, args.edits, args.files))
        finally:
            watcher.terminate()
            watcher.wait(30)
            subprocess.run([*project, "down", "-t", "0"], env=env, capture_output=True, check=False)
        if not args.no_docker:
            results.append(docker_side(base, args))
    finally:
        from docker_engine import unmount_under

        from runtime.linux import cgroups
        from runtime.state import StateRoot
        from tests.container.conftest import stop_server

        stop_server(StateRoot(base / "root", base / "run"))
        cgroups.remove_parent("pycompose-bench")
        unmount_under(base)
        subprocess.run(["rm", "-rf", str(base)], check=False)
    print(f"| tool | p50 | p95 | lost edits | {args.files} files | missing | idle CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['name']} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['lost_edits']} | "
              f"{r['batch_s']:.2f} s | {r['batch_missing']} | {r['idle_cpu_pct']:.2f} % |")
    if len(results) == 2:
        print(f"ratio p50 pycompose/Docker Compose: {results[0]['p50_ms'] / results[1]['p50_ms']:.3f}")


def docker_side(base: Path, args: argparse.Namespace) -> dict:
    from docker_engine import DockerEngine

    work = base / "dc"
    (work / "src").mkdir(parents=True)
    (work / "compose.yaml").write_text(COMPOSE)
    flat = base / "flat.tar"
    pc = [sys.executable, "-m", "compose"]
    env = dict(os.environ, PYCOMPOSE_ROOT=str(base / "root"), PYCOMPOSE_RUN=str(base / "run"))
    cid = subprocess.run([*pc, "container", "create", "busybox", "true"], env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    subprocess.run([*pc, "container", "export", "-o", str(flat), cid], env=env, check=True, capture_output=True)
    subprocess.run([*pc, "container", "rm", cid], env=env, check=True, capture_output=True)
    with DockerEngine(base) as docker:
        docker.import_rootfs(flat, "busybox:latest")
        project = docker.compose_cmd("-f", str(work / "compose.yaml"), "-p", "wbench")
        subprocess.run([*project, "up", "-d"], env=docker.env, check=True, capture_output=True)
        cid = docker.cli("compose", "-p", "wbench", "ps", "-q", check=False).stdout.split() or \
            subprocess.run([*project, "ps", "-q"], env=docker.env, capture_output=True, text=True).stdout.split()
        merged = Path(docker.cli("inspect", "-f", "{{.GraphDriver.Data.MergedDir}}", cid[0]).stdout.strip())
        watcher = subprocess.Popen([*project, "watch", "--no-up"], env=docker.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            return measure("docker compose watch", work, merged, watcher, args.edits, args.files)
        finally:
            watcher.terminate()
            watcher.wait(30)
            subprocess.run([*project, "down", "-t", "0"], env=docker.env, capture_output=True, check=False)


if __name__ == "__main__":
    main()
