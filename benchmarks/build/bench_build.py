"""Builds side by side with BuildKit (``docker build``, Debian's Engine 20.10), in one run.

    python benchmarks/build/bench_build.py [--rounds 3] [--no-docker]

The same multi-stage project for both: a ``build`` stage on busybox that copies sources, runs
a few shell "compile" steps and produces an artefact, and a ``scratch`` final stage that copies
the artefact and a static busybox. The base image comes from a ``docker-registry`` on 127.0.0.1
(``FROM 127.0.0.1:PORT/busybox``), so that neither builder ever looks for Docker Hub. Rows
(medians over ``--rounds``, each tool's cache emptied before its cold build):

* cold build (base image already local to each tool);
* rebuild with no change;
* rebuild after one source file changed (only the steps after its COPY run again).

Needs root, ``docker-registry``, ``skopeo``; Docker's side needs ``docker.io``. Run it on a quiet
machine: the ratios of one run are the result.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

DOCKERFILE = """FROM {base} AS build
WORKDIR /src
COPY lib/ ./lib/
RUN for f in lib/*.txt; do sort "$f" | uniq > "$f.sorted"; done
COPY main.txt ./
RUN cat lib/*.sorted main.txt | md5sum > /artefact && wc -l lib/*.txt >> /artefact
FROM scratch
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /artefact /artefact
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/artefact"]
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {(done.stderr or done.stdout).strip()[-600:]}")
    return time.perf_counter() - start


def project(ctx: Path, base: str) -> None:
    (ctx / "lib").mkdir(parents=True, exist_ok=True)
    for i in range(20):
        (ctx / "lib" / f"part{i}.txt").write_text("\n".join(str((j * 7919 + i) % 1000) for j in range(2000)))
    (ctx / "main.txt").write_text("main 0\n")
    (ctx / "Dockerfile").write_text(DOCKERFILE.format(base=base))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    from helpers import images as test_images
    from registry.test_pull_kit import start_registry  # type: ignore[import-not-found]

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-build-"))
    reg = start_registry(work / "registry")
    docker = None
    results: dict[str, list[float]] = {}
    env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
               PYCOMPOSE_CGROUP_PARENT="pycompose-bench")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    pc = [sys.executable, "-m", "compose"]
    try:
        archive = test_images.write_archive(work / "busybox.tar", [test_images.busybox_image()])
        base = f"{reg.host}/library/busybox:latest"
        if args.no_docker:
            subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                            f"docker-archive:{archive}:busybox:latest", f"docker://{base}"], check=True,
                           capture_output=True)
        else:
            # Docker refuses the test archive's hard-linked applets: the same files, flat, through Docker
            from docker_engine import DockerEngine

            subprocess.run([*pc, "image", "load", "-i", str(archive)], env=env, check=True, capture_output=True)
            cid = subprocess.run([*pc, "container", "create", "busybox", "true"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            subprocess.run([*pc, "container", "export", "-o", str(work / "flat.tar"), cid], env=env, check=True)
            subprocess.run([*pc, "container", "rm", cid], env=env, check=True, capture_output=True)
            docker = DockerEngine(work).__enter__()
            docker.import_rootfs(work / "flat.tar", base)
            docker.cli("push", "-q", base)
        subprocess.run([*pc, "image", "pull", "-q", base], env=env, check=True, capture_output=True)
        ctx = work / "ctx"
        project(ctx, base)
        sides = {"pycompose": lambda *a: [*pc, "image", "build", "-q", *a]}
        envs = {"pycompose": env}
        if docker is not None:
            # Debian's client (20.10) has BuildKit built in; a newer docker CLI would want buildx
            client = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"
            sides["docker build (BuildKit)"] = lambda *a: [client, "build", "-q", "--network", "host", *a]
            envs["docker build (BuildKit)"] = dict(docker.env, DOCKER_BUILDKIT="1")
        print(f"load {os.getloadavg()[0]:.2f} at start")
        for r in range(args.rounds):
            (ctx / "main.txt").write_text(f"main {r}\n")
            for name, cmd in sides.items():
                tag = f"bench-build-{name.split()[0]}:{r}"
                if name == "pycompose":
                    subprocess.run([*pc, "builder", "prune", "-a", "-f"], env=env, capture_output=True, check=False)
                else:
                    assert docker is not None
                    docker.cli("builder", "prune", "-a", "-f", check=False)
                    docker.cli("rmi", "-f", tag, check=False)
                results.setdefault(f"cold: {name}", []).append(timed(cmd("-t", tag, str(ctx)), envs[name]))
                results.setdefault(f"no change: {name}", []).append(timed(cmd("-t", tag, str(ctx)), envs[name]))
                (ctx / "main.txt").write_text(f"main {r} changed\n")
                results.setdefault(f"one file changed: {name}", []).append(
                    timed(cmd("-t", tag, str(ctx)), envs[name]))
                (ctx / "main.txt").write_text(f"main {r}\n")
    finally:
        if docker is not None:
            docker.__exit__(None, None, None)
        reg.stop()
        from docker_engine import unmount_under

        from runtime.linux import cgroups
        from runtime.state import StateRoot
        from tests.container.conftest import stop_server

        stop_server(StateRoot(work / "root", work / "run"))
        cgroups.remove_parent("pycompose-bench")
        unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)
    print("| row | median | best |")
    print("|---|---:|---:|")
    for name, times in results.items():
        print(f"| {name} | {statistics.median(times):.2f} s | {min(times):.2f} s |")
    for row in ("cold", "no change", "one file changed"):
        ours, theirs = results.get(f"{row}: pycompose"), results.get(f"{row}: docker build (BuildKit)")
        if ours and theirs:
            print(f"ratio {row}: {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
