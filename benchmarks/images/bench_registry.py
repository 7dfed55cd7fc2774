"""Pull and push of a ~200 MB image in 10 layers over the loopback registry, side by side in one run.

    python benchmarks/images/bench_registry.py [--rounds 3] [--layers 10] [--layer-mb 20] [--no-docker]

A ``docker-registry`` (distribution v2) is started on 127.0.0.1 with its own storage; an image of
``--layers`` layers of random bytes (incompressible, gzip-compressed as registries serve them) is
put there once. Each round then times, in alternation so all share the machine's load:

* pull, cold: ``pycompose image pull`` into an empty state root, ``skopeo copy docker://… oci:DIR``,
  ``docker pull`` on a private engine (:mod:`benchmarks.docker_engine`, image removed first);
* pull with half of the layers present: each tool first pulls (untimed) an image made of the
  first half of the same layers, then the whole image is timed;
* push to a new repository: ``pycompose image push``, ``skopeo copy oci:DIR docker://…``,
  ``docker push``.

Medians over ``--rounds``. Needs root, ``docker-registry``, ``skopeo``; Docker's side needs
``docker.io``. Run on a quiet machine.
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
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {done.stderr.strip()[-400:]}")
    return time.perf_counter() - start


def make_image(work: Path, layers: int, layer_mb: int) -> Path:
    """A docker-archive of ``layers`` layers of random bytes (the test suite's image writer)."""
    from helpers import images as t

    blobs = [t.layer([t.file(f"data/layer{i}.bin", os.urandom(layer_mb * 1024 * 1024))]) for i in range(layers)]
    image = t.TestImage(blobs, tags=["bench/big:1"], cmd=["sh"])
    half = t.TestImage(blobs[:layers // 2], tags=["bench/half:1"], cmd=["sh"])  # the same layers, bytes and all
    return t.write_archive(work / "big.tar", [image, half], layer_compression="gzip")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--layer-mb", type=int, default=20)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    from registry.test_pull_kit import start_registry  # type: ignore[import-not-found]

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-registry-"))
    reg = start_registry(work / "registry")
    results: dict[str, list[float]] = {}
    docker = None
    try:
        archive = make_image(work, args.layers, args.layer_mb)
        src, half = f"{reg.host}/bench/big:1", f"{reg.host}/bench/half:1"
        for name, ref in (("bench/big:1", src), ("bench/half:1", half)):
            subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"docker-archive:{archive}:{name}",
                            f"docker://{ref}"], check=True, capture_output=True)
        oci = work / "oci-src"
        subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{src}", f"oci:{oci}:x"],
                       check=True, capture_output=True)
        index = json.loads((oci / "index.json").read_text())
        manifest = json.loads((oci / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
        total = sum(layer["size"] for layer in manifest["layers"])
        print(f"image: {len(manifest['layers'])} layers, {total / 1e6:.0f} MB compressed; load "
              f"{os.getloadavg()[0]:.2f}")
        if not args.no_docker:
            from docker_engine import DockerEngine

            docker = DockerEngine(work).__enter__()
        pc = [sys.executable, "-m", "compose"]
        for r in range(args.rounds):
            root = work / f"pc-{r}"
            env = dict(os.environ, PYCOMPOSE_ROOT=str(root / "root"), PYCOMPOSE_RUN=str(root / "run"))
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            results.setdefault("pull cold: pycompose", []).append(timed([*pc, "image", "pull", "-q", src], env))
            dest = work / f"skopeo-{r}"
            results.setdefault("pull cold: skopeo copy to OCI dir", []).append(timed(
                ["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{src}", f"oci:{dest}:x"]))
            if docker is not None:
                docker.cli("rmi", "-f", src, check=False)
                results.setdefault("pull cold: docker pull", []).append(timed(["docker", "pull", "-q", src],
                                                                              docker.env))
            # half of the layers already here (from the smaller image), then the whole image
            env_half = dict(env, PYCOMPOSE_ROOT=str(root / "half-root"), PYCOMPOSE_RUN=str(root / "half-run"))
            timed([*pc, "image", "pull", "-q", half], env_half)
            results.setdefault("pull, half present: pycompose", []).append(timed(
                [*pc, "image", "pull", "-q", src], env_half))
            subprocess.run([*pc, "image", "rm", "-f", src, half], env=env_half, capture_output=True, check=False)
            dest_half = work / f"skopeo-half-{r}"
            timed(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{half}", f"oci:{dest_half}:h"])
            results.setdefault("pull, half present: skopeo copy to OCI dir", []).append(timed(
                ["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{src}", f"oci:{dest_half}:x"]))
            shutil.rmtree(dest_half, ignore_errors=True)
            if docker is not None:
                docker.cli("rmi", "-f", src, half, check=False)
                timed(["docker", "pull", "-q", half], docker.env)
                results.setdefault("pull, half present: docker pull", []).append(timed(
                    ["docker", "pull", "-q", src], docker.env))
            target = f"{reg.host}/bench/pushed-{r}:1"
            timed([*pc, "image", "tag", src, target], env)
            results.setdefault("push: pycompose", []).append(timed([*pc, "image", "push", "-q", target], env))
            results.setdefault("push: skopeo copy from OCI dir", []).append(timed(
                ["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{dest}:x",
                 f"docker://{reg.host}/bench/skopeo-{r}:1"]))
            if docker is not None:
                docker.cli("tag", src, f"{reg.host}/bench/docker-{r}:1")
                results.setdefault("push: docker push", []).append(timed(
                    ["docker", "push", "-q", f"{reg.host}/bench/docker-{r}:1"], docker.env))
                # every tag goes, so that the next round's pull is cold again (layers included)
                docker.cli("rmi", "-f", src, half, f"{reg.host}/bench/docker-{r}:1", check=False)
            shutil.rmtree(dest, ignore_errors=True)
            subprocess.run([*pc, "image", "rm", "-f", src, target], env=env, capture_output=True, check=False)
    finally:
        if docker is not None:
            docker.__exit__(None, None, None)
        reg.stop()
        from docker_engine import unmount_under

        unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)
    print("| operation | median | best |")
    print("|---|---:|---:|")
    for name, times in results.items():
        print(f"| {name} | {statistics.median(times):.2f} s | {min(times):.2f} s |")


if __name__ == "__main__":
    main()
