"""Container start-up and supervision cost, side by side with Docker, podman and runc.

    python benchmarks/container/bench_run.py [--runs N] [--memory K] [--many M] [--baseline DIR]

* ``container run --rm IMAGE true`` as a whole command from a cached image (median and best
  of N), next to ``docker run --rm``, ``podman run --rm`` on the same image (loaded from the same
  ``docker save`` archive) and ``runc run`` on the same root filesystem (the floor);
* the supervisor's memory per running container (USS and PSS of the shims plus the server's
  share), with K containers running;
* the time to start M containers one after the other through the facade;
* with ``--baseline DIR`` (another checkout, e.g. ``git archive <commit> compose runtime schemas
  pyproject.toml | tar -x -C DIR``), the same ``container run --rm`` from that tree, in
  alternation with ours and with ``runc run`` so that all three share the machine's load.

Each tool is skipped (and said so) when it is not installed or not working. Needs root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))


def timed(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> list[float] | None:
    subprocess.run(cmd, env=env, capture_output=True, check=False)  # warm-up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, env=env, capture_output=True, check=False)
        out.append(time.perf_counter() - start)
        if result.returncode != 0:
            print(f"  {cmd[0]} failed: {result.stderr.decode(errors='replace').strip()[:200]}")
            return None
    return out


def alternate(work: Path, store, image_id: str, run_cmd: list[str], baseline: Path,  # type: ignore[no-untyped-def]
              runs: int, env: dict[str, str]) -> None:
    """This tree, the baseline tree and ``runc run``, one run of each in turn."""
    base_env = dict(env, PYTHONPATH=str(baseline), PYCOMPOSE_RUN=env["PYCOMPOSE_RUN"] + "-baseline")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(baseline / "compose"), str(baseline / "runtime")],
                   env=base_env, capture_output=True, check=False)
    runc = runc_bundle(work, store, image_id) if shutil.which("runc") else None
    samples: dict[str, list[float]] = {"this tree": [], "baseline": [], "runc run": []}
    counter = iter(range(10**6))
    for i in range(runs + 1):
        for name, cmd, cmd_env, cwd in (("this tree", run_cmd, env, REPO), ("baseline", run_cmd, base_env, baseline),
                                        ("runc run", runc and [*runc, f"alt{next(counter)}"], None, None)):
            if cmd is None:
                continue
            start = time.perf_counter()
            result = subprocess.run(cmd, env=cmd_env, cwd=cwd, capture_output=True, check=False)
            took = time.perf_counter() - start
            if result.returncode != 0:
                print(f"  {name} failed: {result.stderr.decode(errors='replace').strip()[:200]}")
                return
            if i:  # the first round warms caches and starts the supervisors
                samples[name].append(took)
    # cold: the supervisor server stopped before each run (as after 30 idle seconds)
    samples.update({"this tree, server cold": [], "baseline, server cold": []})
    for _ in range(max(3, runs // 2)):
        for name, cmd_env, cwd in (("this tree", env, REPO), ("baseline", base_env, baseline)):
            stop_server(cmd_env, cwd)
            start = time.perf_counter()
            subprocess.run(run_cmd, env=cmd_env, cwd=cwd, capture_output=True, check=False)
            samples[f"{name}, server cold"].append(time.perf_counter() - start)
    print(f"alternating, this tree vs {baseline}:")
    for name, values in samples.items():
        report(f"  {name}", values or None)
    stop_server(base_env, baseline)


def stop_server(env: dict[str, str], cwd: Path) -> None:
    """Stop the supervisor server of ``env``'s run root (it refuses while shims run) and wait for it."""
    subprocess.run([sys.executable, "-c", "import time; from runtime.supervisor import client; "
                    "from runtime.state import StateRoot; state = StateRoot.from_env(); "
                    "client.server_request(state, {'op': 'shutdown'}); "
                    "[time.sleep(0.01) for _ in range(300) if client.server_socket(state).exists()]"],
                   env=env, cwd=cwd, capture_output=True, check=False)


def works(cmd: list[str]) -> bool:
    if shutil.which(cmd[0]) is None:
        return False
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def report(name: str, samples: list[float] | None) -> None:
    if samples is None:
        print(f"{name:<34} skipped")
        return
    print(f"{name:<34} median {statistics.median(samples):.3f} s   best {min(samples):.3f} s   (n={len(samples)})")


def memory(pid: int) -> tuple[int, int]:
    """(USS, PSS) in KiB."""
    uss = pss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Private_Clean", "Private_Dirty"):
                uss += int(value.split()[0])
            elif key == "Pss":
                pss = int(value.split()[0])
    return uss, pss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--memory", type=int, default=10)
    parser.add_argument("--many", type=int, default=50)
    parser.add_argument("--baseline", type=Path, help="another checkout to time side by side")
    args = parser.parse_args()

    from helpers import images as test_images

    from runtime.api.containers import Containers
    from runtime.api.images import ImageStore
    from runtime.state import StateRoot

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
               PYCOMPOSE_CGROUP_PARENT="pycompose-bench")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with cached bytecode
    os.environ.update(env)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "compose"), str(REPO / "runtime")],
                   env=env, capture_output=True, check=False)
    state = StateRoot(work / "root", work / "run").ensure()
    image_def = test_images.busybox_image(tags=["bench-busybox:latest"])
    archive = test_images.write_archive(work / "busybox.tar", [image_def])
    store = ImageStore(state)
    store.load(archive)
    image = store.resolve("bench-busybox:latest")
    containers = Containers(state)
    print(f"machine: {os.cpu_count()} cpus, load {os.getloadavg()[0]:.2f}; image {image.id[:19]}")
    try:
        run_cmd = [sys.executable, "-m", "compose", "container", "run", "--rm", "bench-busybox:latest", "true"]
        if args.baseline:
            alternate(work, store, image.id, run_cmd, args.baseline.resolve(), args.runs, env)
        report("pycompose container run --rm", timed(run_cmd, args.runs, env))
        flat = flat_rootfs_tar(work, store, image.id)
        for tool in ("docker", "podman"):
            if works([tool, "info"]):
                # the same files, imported flat (Docker refuses the test archive's hardlinked applets)
                subprocess.run([tool, "import", str(flat), "bench-busybox-flat:latest"], capture_output=True,
                               check=True)
                # podman's default ulimits exceed this host's hard limits: give ones within them
                limits = ["--ulimit", "nproc=1024:1024", "--ulimit", "nofile=1024:1024"] if tool == "podman" else []
                report(f"{tool} run --rm", timed([tool, "run", "--rm", "--network", "none", *limits,
                                                  "bench-busybox-flat:latest", "/bin/true"], args.runs))
                subprocess.run([tool, "rmi", "bench-busybox-flat:latest"], capture_output=True, check=False)
            else:
                report(f"{tool} run --rm (not working here)", None)
        if shutil.which("runc"):
            report("runc run (same rootfs, the floor)", runc_runs(work, store, image.id, args.runs))
        else:
            report("runc run (not installed)", None)
        measure_memory(containers, store, image.id, args.memory)
        start_many(containers, store, image.id, args.many)
    finally:
        for info in containers.list(all=True):
            containers.remove(info.record.id, force=True)
        from runtime.supervisor import client

        client.server_request(state, {"op": "shutdown"})
        time.sleep(0.2)
        from runtime.linux import cgroups

        cgroups.remove_parent("pycompose-bench")
        subprocess.run(["umount", "-R", "-l", str(work)], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


def flat_rootfs_tar(work: Path, store, image_id: str) -> Path:  # type: ignore[no-untyped-def]
    mounted = store.prepare_rootfs(image_id, "bench-flat-rootfs")
    target = work / "flat.tar"
    subprocess.run(["tar", "-C", str(mounted), "-cf", str(target), "."], check=True)
    store.release_rootfs("bench-flat-rootfs")
    return target


def runc_bundle(work: Path, store, image_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """A runc bundle of the image's files running ``true``; the command line that runs it (add an id)."""
    bundle = work / "bundle"
    if bundle.exists():
        return ["runc", "--root", str(work / "runc-root"), "run", "--bundle", str(bundle)]
    bundle.mkdir()
    mounted = store.prepare_rootfs(image_id, "bench-runc-rootfs")
    shutil.copytree(mounted, bundle / "rootfs", symlinks=True)
    store.release_rootfs("bench-runc-rootfs")
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    config = json.loads((bundle / "config.json").read_text())
    config["process"]["args"] = ["true"]
    config["process"]["terminal"] = False
    (bundle / "config.json").write_text(json.dumps(config))
    return ["runc", "--root", str(work / "runc-root"), "run", "--bundle", str(bundle)]


def runc_runs(work: Path, store, image_id: str, runs: int) -> list[float] | None:  # type: ignore[no-untyped-def]
    cmd = runc_bundle(work, store, image_id)
    counter = iter(range(10**6))
    samples = []
    for i in range(runs + 1):
        start = time.perf_counter()
        result = subprocess.run([*cmd, f"bench{next(counter)}"], capture_output=True, check=False)
        if result.returncode != 0:
            print(f"  runc failed: {result.stderr.decode(errors='replace').strip()[:200]}")
            return None
        if i:
            samples.append(time.perf_counter() - start)
    return samples


def new_sleeper(containers, store, image_id: str) -> str:  # type: ignore[no-untyped-def]
    from runtime.api.containers import ContainerSpec, ImageProcess, Overrides

    cid = containers.new_id()
    rootfs = store.prepare_rootfs(image_id, cid)
    proc = containers.build_process(rootfs, ImageProcess(cmd=("sh",)), Overrides(command=("sleep", "600")))
    containers.create(ContainerSpec(process=proc), rootfs=rootfs, cid=cid, image_id=image_id, rootfs_managed=True)
    containers.start(cid)
    return cid


def measure_memory(containers, store, image_id: str, count: int) -> None:  # type: ignore[no-untyped-def]
    from runtime.supervisor import client

    ids = [new_sleeper(containers, store, image_id) for _ in range(count)]
    time.sleep(0.5)
    shims = [containers.store.load_state(cid).shim_pid for cid in ids]
    server = client.server_request(containers.state, {"op": "ping"})
    shim_mem = [memory(pid) for pid in shims]
    server_mem = memory(server["pid"]) if server else (0, 0)
    uss = statistics.mean(m[0] for m in shim_mem) + server_mem[0] / count
    pss = statistics.mean(m[1] for m in shim_mem) + server_mem[1] / count
    print(f"supervision memory, {count} running: per container USS {uss / 1024:.2f} MiB, PSS {pss / 1024:.2f} MiB "
          f"(shim USS {statistics.mean(m[0] for m in shim_mem) / 1024:.2f} MiB; server USS "
          f"{server_mem[0] / 1024:.2f} MiB, PSS {server_mem[1] / 1024:.2f} MiB shared by all)")
    for cid in ids:
        containers.remove(cid, force=True)


def start_many(containers, store, image_id: str, count: int) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    ids = [new_sleeper(containers, store, image_id) for _ in range(count)]
    took = time.perf_counter() - start
    print(f"start {count} containers (facade, one after the other): {took:.2f} s ({took / count * 1000:.0f} ms each)")
    start = time.perf_counter()
    for cid in ids:
        containers.remove(cid, force=True)
    print(f"remove {count} containers (force): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
