"""Soak: N services up and down, R rounds, nothing left on the host and memory flat.

    python benchmarks/compose/soak.py [--services 200] [--rounds 10]

Each round runs ``pycompose up -d`` of N independent busybox services (one network, PID 1
trapping TERM) and then ``down``, as whole commands on a private state root, and records:

* the wall time of ``up -d`` and ``down``;
* the memory (PSS) of what pycompose keeps running while the N containers are up (the
  supervisor server, the shims, the DNS resolver; the containers' own processes excluded),
  and of what is left running after ``down`` (the idle supervisor and link helper, if any);
* what ``down`` left on the host: our links (``pcb-*`` bridges, ``pcv-*`` veths), mounts below
  the run root, cgroups below the benchmark's cgroup parent, and processes naming the run root
  other than the idle helpers (the supervisor server and the link helper).

It fails (exit 1) on any leftover, and when the PSS while up grows by more than 5 % from the
second round to the last (the first round warms caches). Needs root.
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
sys.path.insert(0, str(REPO / "benchmarks" / "compose"))
sys.path.insert(0, str(REPO))

TRAP = '["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'
PARENT = "pycompose-soak"


def our_links() -> list[str]:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        names = [link.get_attr("IFLA_IFNAME") for link in ipr.get_links()]
    return sorted(n for n in names if n.startswith(("pcb-", "pcv-")))


def mounts_under(path: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(f"{path}/")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    from helpers import images as test_images
    from vs_docker import helper_pid, pss_kib, pycompose_processes

    from runtime.linux import cgroups

    work = Path(tempfile.mkdtemp(prefix="pycompose-soak-"))
    run_dir = work / "run"
    env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(run_dir),
               PYCOMPOSE_CGROUP_PARENT=PARENT, PYCOMPOSE_ADDRESS_POOLS="base=172.30.128.0/18,size=24",
               PYCOMPOSE_NETWORK_CONFIG=str(work / "absent.json"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compose = [sys.executable, "-m", "compose", "-p", "soak", "-f", str(work / "compose.yaml")]

    def timed(*cmd: str) -> float:
        start = time.perf_counter()
        done = subprocess.run([*compose, *cmd], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
        return time.perf_counter() - start

    archive = test_images.write_archive(work / "busybox.tar", [test_images.busybox_image()])
    subprocess.run([sys.executable, "-m", "compose", "image", "load", "-i", str(archive)], env=env, check=True,
                   capture_output=True)
    (work / "compose.yaml").write_text("services:\n" + "".join(
        f"  s{i}:\n    image: busybox\n    command: {TRAP}\n" for i in range(args.services)))
    links_before = set(our_links())
    failures: list[str] = []
    up_pss: list[float] = []
    print(f"{args.services} services, {args.rounds} rounds; load {os.getloadavg()[0]:.2f}")
    print("| round | up -d (s) | down (s) | PSS while up (MiB) | PSS after down (MiB) | left on the host |")
    print("|---:|---:|---:|---:|---:|---|")
    try:
        for r in range(1, args.rounds + 1):
            up = timed("up", "-d")
            pss_up = pss_kib(pycompose_processes(run_dir)) / 1024
            down = timed("down")
            after = pycompose_processes(run_dir)
            servers = [p for p in after if p in {helper_pid(run_dir, "supervisor.sock"),
                                                 helper_pid(run_dir, "links.sock")}]
            left = {
                "links": sorted(set(our_links()) - links_before),
                "mounts": mounts_under(run_dir),
                "cgroups": [str(p) for p in cgroups.leftovers(PARENT)],
                "processes": sorted(set(after) - set(servers)),
            }
            left = {k: v for k, v in left.items() if v}
            if left:
                failures.append(f"round {r}: {left}")
            up_pss.append(pss_up)
            print(f"| {r} | {up:.2f} | {down:.2f} | {pss_up:.1f} | {pss_kib(after) / 1024:.1f} | {left or 'nothing'} |",
                  flush=True)
    finally:
        subprocess.run([*compose, "down", "-t", "0"], env=env, capture_output=True, check=False)
        from runtime.state import StateRoot
        from tests.container.conftest import stop_server

        stop_server(StateRoot(work / "root", run_dir))
        cgroups.remove_parent(PARENT)
        for point in sorted(mounts_under(work), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    if len(up_pss) >= 3:
        growth = up_pss[-1] / up_pss[1] - 1
        print(f"PSS while up: median {statistics.median(up_pss):.1f} MiB, round 2 -> last {growth:+.1%}")
        if growth > 0.05:
            failures.append(f"memory grew {growth:+.1%} from round 2 to round {len(up_pss)}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
