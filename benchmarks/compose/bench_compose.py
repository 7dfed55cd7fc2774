"""``up``/``down`` as a user runs them, next to Docker Compose v2.40's figures on Docker 20.10.

    python benchmarks/compose/bench_compose.py [--runs N] [--many M]

Each row runs the whole ``pycompose`` command (a fresh process, as a user types it) on a
private state root with the busybox test image, and prints the median and best of N runs:

* cold ``up -d`` of db <- api <- web; no-op ``up -d`` (a second time with ``PYCOMPOSE_CACHE=off``:
  the full load-and-plan path, without :mod:`compose.reconcile.noopcache`); ``up -d`` after one
  env change;
* ``down`` of the three when PID 1 traps TERM (exits at once), and when PID 1 is a plain
  ``sleep`` (which never sees TERM: the kernel drops it for a namespace's init);
* cold ``up -d`` and ``down`` of M (30) independent services;
* the memory (PSS) of everything pycompose leaves running for M containers: the shims, the
  supervisor server and the embedded DNS resolver.

Needs root. Docker Compose's figures are quoted, not measured here (no engine on this host).
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
sys.path.insert(0, str(REPO))

DOCKER = {  # seconds (memory in MiB), Docker Compose v2.40 on Docker 20.10
    "cold up, 3 services": 1.15, "no-op up": 0.083, "up after one env change": 1.22,
    "down, PID 1 traps TERM": 2.8, "down, PID 1 plain sleep": 30.7,
    "cold up, 30 services": 5.1, "down, 30 services": 2.3, "memory, 30 containers (MiB)": 526,
}
AIM = {  # the fraction of Docker's figure (or the absolute bound) we aim under
    "cold up, 3 services": 0.25, "no-op up": 0.5, "cold up, 30 services": 0.25, "down, 30 services": 0.25,
}

THREE = """
services:
  db:
    image: busybox
    command: {cmd}
  api:
    image: busybox
    command: {cmd}
    environment: {{VERSION: "{version}"}}
    depends_on: [db]
  web:
    image: busybox
    command: {cmd}
    depends_on: [api]
"""
TRAP = '["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 0.1; done"]'
SLEEP = '["sleep", "100000"]'


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
                        PYCOMPOSE_CGROUP_PARENT="pycompose-bench",
                        PYCOMPOSE_ADDRESS_POOLS="base=172.30.0.0/16,size=24",
                        PYCOMPOSE_NETWORK_CONFIG=str(work / "absent.json"))
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def pycompose(self, *args: str, file: str = "compose.yaml", cache: bool = True) -> float:
        cmd = [sys.executable, "-m", "compose", "-f", str(self.work / file), "-p", "bench", *args]
        env = self.env if cache else dict(self.env, PYCOMPOSE_CACHE="off")
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        return elapsed

    def write(self, text: str, file: str = "compose.yaml") -> None:
        (self.work / file).write_text(text)


def row(name: str, times: list[float]) -> None:
    med, best = statistics.median(times), min(times)
    docker = DOCKER.get(name)
    ratio = f"{med / docker:6.1%} of Docker's {docker:g}s" if docker else ""
    aim = AIM.get(name)
    verdict = "" if aim is None else ("  (aim met)" if med <= aim * (docker or 0) else "  (aim NOT met)")
    print(f"{name:<28} median {med:7.3f}s  best {best:7.3f}s  {ratio}{verdict}")


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def left_running(work: Path) -> list[int]:
    """Our processes: every process whose command line or environment names this state root."""
    needle = str(work / "run").encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        if needle in cmdline or needle in environ:
            out.append(int(entry))
    return out


def container_pids(work: Path) -> set[int]:
    import json

    pids = set()
    for state in (work / "root" / "containers").glob("*/state.json"):
        pid = json.loads(state.read_text()).get("pid", 0)
        if pid:
            pids.add(pid)
    return pids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--many", type=int, default=30)
    args = parser.parse_args()
    from helpers import images as test_images

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-compose-"))
    b = Bench(work)
    archive = test_images.write_archive(work / "busybox.tar", [test_images.busybox_image()])
    subprocess.run([sys.executable, "-m", "compose", "image", "load", "-i", str(archive)], env=b.env, check=True,
                   capture_output=True)
    try:
        cold, noop, noop_off, change, down_trap, down_sleep = [], [], [], [], [], []
        for i in range(args.runs):
            b.write(THREE.format(cmd=TRAP, version=0))
            cold.append(b.pycompose("up", "-d"))
            noop.append(b.pycompose("up", "-d"))
            noop_off.append(b.pycompose("up", "-d", cache=False))
            b.write(THREE.format(cmd=TRAP, version=i + 1))
            change.append(b.pycompose("up", "-d"))
            down_trap.append(b.pycompose("down"))
        for _ in range(args.runs):
            b.write(THREE.format(cmd=SLEEP, version=0))
            b.pycompose("up", "-d")
            down_sleep.append(b.pycompose("down"))
        row("cold up, 3 services", cold)
        row("no-op up", noop)
        row("no-op up, cache off", noop_off)
        row("up after one env change", change)
        row("down, PID 1 traps TERM", down_trap)
        row("down, PID 1 plain sleep", down_sleep)
        many = "services:\n" + "".join(f"  s{i}:\n    image: busybox\n    command: {SLEEP}\n"
                                       for i in range(args.many))
        b.write(many, "many.yaml")
        up_many, down_many = [], []
        for i in range(max(1, args.runs // 2)):
            up_many.append(b.pycompose("up", "-d", file="many.yaml"))
            if i == 0:
                time.sleep(1)
                ours = set(left_running(work)) - container_pids(work)
                total = sum(pss_kib(p) for p in ours)
                print(f"memory, {args.many} containers: {total / 1024:.1f} MiB PSS in {len(ours)} processes "
                      f"(Docker engine: {DOCKER['memory, 30 containers (MiB)']} MiB; aim: under 30 MiB)")
            down_many.append(b.pycompose("down", file="many.yaml"))
        row(f"cold up, {args.many} services" if args.many != 30 else "cold up, 30 services", up_many)
        row(f"down, {args.many} services" if args.many != 30 else "down, 30 services", down_many)
    finally:
        for file in ("compose.yaml", "many.yaml"):
            if (work / file).exists():
                subprocess.run([sys.executable, "-m", "compose", "-f", str(work / file), "-p", "bench", "down", "-t",
                                "0"], env=b.env, capture_output=True, check=False)
        from runtime.state import StateRoot
        from tests.container.conftest import stop_server

        stop_server(StateRoot(work / "root", work / "run"))
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
