"""``pycompose logs`` over 50 MB of a container's output, next to Docker Compose's 3.1 s.

    python benchmarks/compose/logs_50mb.py [--runs N] [--megabytes 50]

A busybox container (no network) prints numbered 100-byte lines until its json-file log
holds the requested size; then each row runs the whole ``pycompose logs`` command (a fresh
process, output to a pipe that is read and dropped, as ``| cat >/dev/null``) on a private
state root, and prints the median and best of N runs:

* ``logs`` (prefixes, no colour: not a terminal), ``logs --no-log-prefix``, ``logs -t``,
  ``logs --tail 100``, and ``logs`` of two such containers (merged by time).

Docker Compose v2.40 took 3.1 s for ``docker compose logs`` of 50 MB on this machine; the aim
is under half of that. Needs root.

Last results (2 cores, Debian 12, Python 3.11, other work running; median of 5):

    logs                                 0.73 s   (Docker Compose: 3.1 s)
    logs --no-log-prefix                 0.63 s
    logs -t                              0.98 s   (time stamps: decoded line by line)
    logs --tail 100                      0.35 s
    logs, 2 containers merged by time    2.14 s   (100 MB of logs, 70 MB printed)
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

DOCKER_SECONDS = 3.1
AIM = 0.5

COMPOSE = """
services:
  chatty:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "i=0; while [ $$i -lt {lines} ]; do echo \\"line $$i {pad}\\"; i=$$((i+1)); done"]
    scale: {scale}
"""


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
                        PYCOMPOSE_CGROUP_PARENT="pycompose-bench-logs",
                        PYCOMPOSE_NETWORK_CONFIG=str(work / "absent.json"))

    def run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "compose", "-f", str(self.work / "compose.yaml"), "-p", "benchlogs", *args]
        done = subprocess.run(cmd, env=self.env, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode().strip()[-500:]}")
        return done

    def timed(self, *args: str) -> tuple[float, int]:
        """Seconds of one whole ``pycompose logs ...`` process, and the bytes it printed."""
        cmd = [sys.executable, "-m", "compose", "-f", str(self.work / "compose.yaml"), "-p", "benchlogs", *args]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        size = 0
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1 << 20):
            size += len(chunk)
        code = proc.wait()
        elapsed = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"{' '.join(args)} failed ({code})")
        return elapsed, size


def row(name: str, results: list[tuple[float, int]], aim: float | None = None) -> None:
    times = [t for t, _ in results]
    median, best = statistics.median(times), min(times)
    out_mb = results[0][1] / 1e6
    verdict = ""
    if aim is not None:
        verdict = f"  (aim < {aim:.2f}s: {'ok' if median < aim else 'MISSED'})"
    print(f"{name:<36} median {median:6.3f}s  best {best:6.3f}s  output {out_mb:6.1f} MB{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--megabytes", type=float, default=50)
    opts = parser.parse_args()
    from helpers import images as test_images

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-logs-"))
    bench = Bench(work)
    try:
        archive = test_images.write_archive(work / "busybox.tar", [test_images.busybox_image()])
        subprocess.run([sys.executable, "-m", "compose", "image", "load", "-i", str(archive)], env=bench.env,
                       check=True, capture_output=True)
        pad = "x" * 80
        line_bytes = len(f"line 123456 {pad}") + 70  # json-file overhead: keys, stream, time stamp
        lines = int(opts.megabytes * 1e6 / line_bytes)
        for scale in (1, 2):
            (work / "compose.yaml").write_text(COMPOSE.format(lines=lines, pad=pad, scale=scale))
            print(f"# {scale} container(s), {lines} lines each: writing the logs...", flush=True)
            bench.run("up", "-d")
            bench.run("wait", "chatty")
            logs = sorted((work / "root").rglob("*-json.log")) or sorted((work / "root").rglob("*.log"))
            sizes = sum(p.stat().st_size for p in logs if p.is_file())
            print(f"# json-file logs on disk: {sizes / 1e6:.1f} MB", flush=True)
            if scale == 1:
                runs = [bench.timed("logs") for _ in range(opts.runs)]
                row("logs", runs, DOCKER_SECONDS * AIM)
                row("logs --no-log-prefix", [bench.timed("logs", "--no-log-prefix") for _ in range(opts.runs)])
                row("logs -t", [bench.timed("logs", "-t") for _ in range(opts.runs)])
                row("logs --tail 100", [bench.timed("logs", "--tail", "100") for _ in range(opts.runs)])
            else:
                row("logs, 2 containers merged by time", [bench.timed("logs") for _ in range(opts.runs)])
            bench.run("down", "-t", "0")
        print(f"# Docker Compose v2.40: docker compose logs of 50 MB took {DOCKER_SECONDS}s on this machine")
    finally:
        subprocess.run([sys.executable, "-m", "compose", "-f", str(work / "compose.yaml"), "-p", "benchlogs", "down",
                        "-t", "0"], env=bench.env, capture_output=True, check=False)
        from runtime.state import StateRoot
        from tests.container.conftest import stop_server

        stop_server(StateRoot(work / "root", work / "run"))
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
