"""Image store benchmarks: load a ~200 MB multi-layer archive, prepare 50 rootfs from one image.

Side by side with ``skopeo copy`` + ``tar -x`` of the same archive on the same machine.
Run as root from the repository root: ``python benchmarks/images/bench_images.py [--size-mb 200]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from helpers.images import TestImage, directory, file, layer, write_archive

from runtime.api.images import ImageStore
from runtime.state import StateRoot


def make_archive(path: Path, size_mb: int, layers: int = 8) -> Path:
    """Layers of many files, half random (incompressible) and half text-like."""
    rng = random.Random(42)
    per_layer = size_mb * (1 << 20) // layers
    built = []
    for i in range(layers):
        entries = [directory(f"l{i}")]
        written = 0
        n = 0
        while written < per_layer:
            size = rng.choice((4096, 65536, 1 << 20))
            data = rng.randbytes(size) if n % 2 else (b"line of text %d\n" % n) * (size // 16)
            entries.append(file(f"l{i}/f{n}", data))
            written += len(data)
            n += 1
        built.append(layer(entries))
    return write_archive(path, [TestImage(built, tags=["bench:1"])])


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_load(archive: Path, work: Path) -> float:
    store = ImageStore(StateRoot(work / "state", work / "run"))
    return timed(lambda: store.load(archive))


def bench_skopeo(archive: Path, work: Path) -> float | None:
    if shutil.which("skopeo") is None:
        return None

    work.mkdir(parents=True, exist_ok=True)

    def run() -> None:
        layout = work / "layout"
        subprocess.run(["skopeo", "--insecure-policy", "copy", "-q",
                        f"docker-archive:{archive}", f"oci:{layout}:bench"], check=True)
        index = json.loads((layout / "index.json").read_text())
        manifest = json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())
        root = work / "rootfs"
        root.mkdir()
        for desc in manifest["layers"]:
            subprocess.run(["tar", "-xpf", str(layout / "blobs/sha256" / desc["digest"][7:]), "-C", str(root)],
                           check=True)

    return timed(run)


def bench_prepare(work: Path, archive: Path, count: int) -> tuple[float, float]:
    store = ImageStore(StateRoot(work / "state", work / "run"))
    image = store.resolve("bench:1") if store.exists("bench:1") else None
    if image is None:
        store.load(archive)
        image = store.resolve("bench:1")
    os.sync()  # the load's dirty pages are written back first: we measure prepares, not writeback
    prepare = [timed(lambda i=i: store.prepare_rootfs(image.id, f"bench-{i}")) for i in range(count)]
    release = [timed(lambda i=i: store.release_rootfs(f"bench-{i}")) for i in range(count)]
    return statistics.median(prepare), statistics.median(release)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rootfs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pycompose-bench-") as tmp:
        work = Path(tmp)
        archive = make_archive(work / "bench.tar", args.size_mb)
        size = archive.stat().st_size / 1e6
        ours = bench_load(archive, work / "ours")
        theirs = bench_skopeo(archive, work / "skopeo")
        prepare, release = bench_prepare(work / "ours", archive, args.rootfs)
        print(f"archive: {size:.0f} MB, 8 layers")
        print(f"pycompose image load:         {ours:7.2f} s  ({size / ours:6.0f} MB/s)")
        if theirs is not None:
            print(f"skopeo copy + tar -x:         {theirs:7.2f} s  ({size / theirs:6.0f} MB/s)")
        print(f"prepare_rootfs (median of {args.rootfs}): {prepare * 1000:6.2f} ms")
        print(f"release_rootfs (median of {args.rootfs}): {release * 1000:6.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
